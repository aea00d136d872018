// Tensor: a Float32 array with a shape, in contiguous 64-byte-aligned storage (NCHW for images).

import Foundation

/// Owns one aligned allocation; views of a tensor keep their owner alive through it.
final class TensorStorage {
  let pointer: UnsafeMutablePointer<Float>
  let count: Int
  /// Writes (`assign`, `zero`, `setRows`, `Segments.unpack`) so far: a copy made of the numbers can
  /// tell whether they changed since (a layer's bf16 copy of its weights, BF16Copy).
  var writes = 0

  /// Zero-filled storage, or storage whose contents are undefined when the caller overwrites it all.
  init(count: Int, zeroed: Bool = true) {
    self.count = count
    pointer = StoragePool.shared.allocate(max(count, 1))
    if zeroed { pointer.update(repeating: 0, count: max(count, 1)) }
  }

  deinit { StoragePool.shared.release(pointer, count: max(count, 1)) }
}

/// Recycles large allocations by exact size. A training step allocates the same activations
/// every time; fresh pages from the kernel cost a page fault and a clear each, which made
/// elementwise layers run at a fraction of memory bandwidth.
final class StoragePool: @unchecked Sendable {
  static let shared = StoragePool()
  private let lock = NSLock()
  private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
  private var cachedBytes = 0
  private let limit = Int(ProcessInfo.processInfo.physicalMemory / 4)
  private static let smallest = 16_384

  func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
    if count >= Self.smallest {
      lock.lock()
      defer { lock.unlock() }
      if let p = free[count]?.popLast() {
        cachedBytes -= count * 4
        return p
      }
    }
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
    return raw.bindMemory(to: Float.self, capacity: count)
  }

  func release(_ p: UnsafeMutablePointer<Float>, count: Int) {
    if count >= Self.smallest {
      lock.lock()
      defer { lock.unlock() }
      if cachedBytes + count * 4 <= limit {
        free[count, default: []].append(p)
        cachedBytes += count * 4
        return
      }
    }
    p.deallocate()
  }
}

/// A dense Float32 tensor with reference semantics.
///
/// Layers never write into their inputs; they allocate new outputs, so a tensor handed to a layer
/// stays valid for its backward pass. `data` is the raw element pointer for kernels.
public final class Tensor {
  public let shape: [Int]
  public let count: Int
  let storage: TensorStorage
  public var data: UnsafeMutablePointer<Float> { storage.pointer }

  /// A tensor of zeros.
  public init(zeros shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    self.shape = shape
    self.count = shape.reduce(1, *)
    self.storage = TensorStorage(count: count)
  }

  /// A tensor whose elements are undefined: for kernels that write every element.
  init(uninitialized shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    self.shape = shape
    self.count = shape.reduce(1, *)
    self.storage = TensorStorage(count: count, zeroed: false)
  }

  /// A tensor holding `values` in row-major order.
  public convenience init(shape: [Int], values: [Float]) {
    self.init(zeros: shape)
    precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape) (\(count) elements)")
    values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
  }

  /// A tensor filled with one value.
  public convenience init(repeating value: Float, shape: [Int]) {
    self.init(zeros: shape)
    data.update(repeating: value, count: count)
  }

  private init(shape: [Int], storage: TensorStorage) {
    self.shape = shape
    self.count = shape.reduce(1, *)
    self.storage = storage
  }

  /// The same elements under another shape of equal size (no copy: the view shares storage).
  public func reshaped(_ newShape: [Int]) -> Tensor {
    let newCount = newShape.reduce(1, *)
    precondition(newCount == count, "reshape: \(shape) (\(count) elements) cannot become \(newShape) (\(newCount))")
    return Tensor(shape: newShape, storage: storage)
  }

  /// An independent copy.
  public func copy() -> Tensor {
    let result = Tensor(zeros: shape)
    result.data.update(from: data, count: count)
    return result
  }

  public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
  public var rank: Int { shape.count }

  public subscript(index: Int) -> Float {
    get { precondition(index >= 0 && index < count, "Tensor index \(index) out of range 0..<\(count)"); return data[index] }
    set { precondition(index >= 0 && index < count, "Tensor index \(index) out of range 0..<\(count)"); data[index] = newValue }
  }

  /// Sets every element to zero.
  public func zero() {
    data.update(repeating: 0, count: count)
    noteWrite()
  }

  /// Copies the elements of `other`, which must have the same element count.
  public func assign(_ other: Tensor) {
    precondition(other.count == count, "assign: \(other.shape) into \(shape)")
    data.update(from: other.data, count: count)
    noteWrite()
  }

  /// How many writes the numbers have had (`assign`, `zero`, `setRows`, `Segments.unpack`).
  public var writes: Int { storage.writes }

  /// Counts a write of the numbers through `data` that copies made of them must not survive.
  public func noteWrite() { storage.writes &+= 1 }

  /// Adds `other` element by element (used to accumulate gradients).
  public func add(_ other: Tensor) {
    precondition(other.count == count, "add: \(other.shape) into \(shape)")
    let a = data, b = other.data
    for i in 0..<count { a[i] += b[i] }
  }

  /// Element count of one item of the batch (all dimensions after the first).
  public var itemCount: Int { shape.isEmpty ? 1 : count / max(shape[0], 1) }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let preview = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
    return "Tensor(\(shape): [\(preview)\(count > 8 ? ", ..." : "")])"
  }
}
