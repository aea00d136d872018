// WrkLoad: the same load as LoadTest.run, sent by wrk (Debian's HTTP benchmark, one epoll thread
// in C) instead of the project's own client, whose threads share the server's cores: the text
// searches, in turn, from kept-alive connections, for a number of seconds (wrk runs its whole
// duration even when a script stops it early, so the bound is time alone).

import Foundation

public enum WrkLoad {
  public struct Unavailable: Error, CustomStringConvertible {
    public let description: String
  }

  /// The wrk script: each request the next query; the summary is one line the caller parses
  /// (latencies in microseconds).
  static let script = """
    local queries, i = {}, 0
    for line in io.lines(os.getenv("CMH_WRK_BODIES")) do queries[#queries + 1] = line end
    request = function()
      i = i % #queries + 1
      return wrk.format("POST", "/api/search/text", {["Content-Type"] = "application/json"}, queries[i])
    end
    done = function(summary, latency, requests)
      local e = summary.errors
      io.write(string.format("cmh-wrk %d %d %d %d %.1f %.1f %.1f\\n", summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
        summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
    end
    """

  /// Runs wrk on `port` with `connections` connections for `seconds`; throws when wrk is not installed.
  public static func run(port: Int, queries: [String], k: Int, rerank: String? = nil, connections: Int, seconds: Double) throws -> LoadTest.Report {
    guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      throw Unavailable(description: "wrk is not installed (apt-get install wrk), or use the built-in client")
    }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("cmh-wrk-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let bodies = try queries.map { query -> String in
      var body: [String: Any] = ["query": query, "k": k]
      if let rerank { body["rerank"] = rerank }
      return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }
    let (scriptURL, bodiesURL) = (work.appendingPathComponent("load.lua"), work.appendingPathComponent("bodies.jsonl"))
    try Data(script.utf8).write(to: scriptURL)
    try Data((bodies.joined(separator: "\n") + "\n").utf8).write(to: bodiesURL)
    let process = Process(), out = Pipe()
    process.executableURL = URL(fileURLWithPath: wrk)
    process.arguments = ["-t1", "-c\(connections)", "-d\(max(1, Int(seconds.rounded(.up))))s", "--timeout", "10s", "-s", scriptURL.path,
                         "http://127.0.0.1:\(port)/api/search/text"]
    process.environment = ["CMH_WRK_BODIES": bodiesURL.path]
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return try report(text, connections: connections)
  }

  /// The figures of the script's summary line.
  static func report(_ output: String, connections: Int) throws -> LoadTest.Report {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("cmh-wrk ") }) else {
      throw Unavailable(description: "wrk printed no summary:\n\(output.suffix(400))")
    }
    let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard f.count == 7 else { throw Unavailable(description: "wrk's summary is not what the script writes: \(line)") }
    let requests = Int(f[0]), failed = Int(f[1]) + Int(f[2])
    return LoadTest.Report(connections: connections, requests: requests, failed: failed, seconds: f[3] / 1e6,
                           p50: f[4] / 1e6, p99: f[5] / 1e6, maxLatency: f[6] / 1e6)
  }
}
