// StopFlag: Ctrl-C asks a long run to stop at the next safe point (between two batches), so
// that it can save a checkpoint first.

import Dispatch
import Foundation

/// Set by Ctrl-C (SIGINT) while a run is active; the trainer checks it between batches. A second
/// Ctrl-C, or one while no run is active, exits at once. One per process: libdispatch installs its
/// signal handler once, so a second signal source made after the first was cancelled never fires
/// (a table's second run would not stop).
public final class StopFlag: @unchecked Sendable {
  public static let shared = StopFlag()
  private let lock = NSLock()
  private var set = false, active = false
  private var source: DispatchSourceSignal?

  private init() {}

  public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }

  /// Starts a run: the flag is cleared and Ctrl-C sets it.
  public func install() {
    lock.lock()
    defer { lock.unlock() }
    set = false
    active = true
    guard source == nil else { return }
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler { [self] in
      lock.lock()
      let quit = set || !active
      set = true
      lock.unlock()
      if quit { _exit(130) }
      FileHandle.standardError.write("\nstopping after this batch to save a checkpoint (Ctrl-C again to quit at once)\n".data(using: .utf8)!)
    }
    source.resume()
    self.source = source
  }

  /// Ends a run: Ctrl-C exits at once again.
  public func uninstall() {
    lock.lock()
    active = false
    lock.unlock()
  }
}
