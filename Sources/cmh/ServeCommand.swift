// cmh serve: the search service over HTTP until Ctrl-C or SIGTERM (Server).

import ArgumentParser
import Foundation
import Platform
import Server

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve searches over HTTP: a web page at / and a JSON API (/api/search/text, /api/search/image, /health, /metrics).",
    discussion: """
      Examples:
        cmh serve --model cmh-demo/model-64.cmh --index cmh-demo/index
        cmh serve --model m.cmh --index image=out/image.cmhindex --index text=out/text.cmhindex --port 9000
        cmh serve --model m.cmh --index photos=out --index archive=old-out
      """)

  @Option(help: "Model file (from `cmh train`).") var model: String
  @Option(help: ArgumentHelp("An index set: FOLDER or NAME=FOLDER (image.cmhindex and text.cmhindex from `cmh encode`), NAME=FILE, or image=FILE / text=FILE for the default set. Repeat for several sets.",
                             valueName: "NAME=PATH"))
  var index: [String] = []
  @Option(help: "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every network).") var host = "127.0.0.1"
  @Option(help: "Port to listen on (0: any free port).") var port = 8080
  @Option(help: "Largest upload, in megabytes.") var maxUpload = 10
  @Option(help: "Most pixels of an uploaded image, in megapixels (2^20 pixels), checked from its header before it is decoded.") var maxPixels = 64
  @Option(help: "Most requests answered at once; more get 503.") var maxRequests = 256
  @Option(help: "Seconds of model work before a request is answered 503, and of silence before a connection is closed.") var timeout = 30.0
  @Option(help: "Seconds to receive a request's headers, and again its whole body; slower headers close the connection, a slower body gets 408.") var readTimeout = 30.0
  @Option(help: ArgumentHelp("Let pages of this origin (scheme://host[:port]) call the API; requests from other sites' pages are refused (403). Repeatable.",
                             valueName: "origin"))
  var allowOrigin: [String] = []
  @Flag(help: "Serve indexes that another model wrote (their model fingerprint differs).") var force = false
  @OptionGroup var output: OutputOptions
  @OptionGroup var precision: PrecisionOption

  func validate() throws {
    guard !index.isEmpty else { throw ValidationError("name at least one index: --index FOLDER (from `cmh encode`), or NAME=FOLDER, image=FILE, text=FILE") }
    guard (0...65535).contains(port) else { throw ValidationError("--port \(port): expected 0 to 65535") }
    guard maxUpload >= 1, maxPixels >= 1, maxRequests >= 1, timeout > 0, readTimeout > 0 else {
      throw ValidationError("--max-upload, --max-pixels, --max-requests, --timeout and --read-timeout must be positive")
    }
  }

  func run() throws {
    let limits = ServerLimits(uploadMegabytes: maxUpload, megapixels: maxPixels, concurrentRequests: maxRequests, timeout: timeout, read: readTimeout,
                              origins: allowOrigin)
    try SearchServer.serve(model: model, index: index, force: force, limits: limits, host: host, port: port, console: output.console)
  }
}
