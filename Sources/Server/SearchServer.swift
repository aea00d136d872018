// SearchServer: `cmh serve` — the search service over HTTP on hummingbird: the JSON API, the web
// page, health and metrics, with limits on every request, and a drain of in-flight requests on
// SIGINT or SIGTERM.

import Dispatch
import Foundation
import Hashing
import Hummingbird
import Logging
import NIOCore
import Platform
import Search
import ServiceLifecycle
import UnixSignals

public struct SearchServer: Sendable {
  public let service: SearchService
  public let host: String
  public let port: Int
  let metrics = ServerMetrics()

  public init(service: SearchService, host: String = "127.0.0.1", port: Int = 8080) {
    self.service = service
    self.host = host
    self.port = port
  }

  /// Serves until SIGINT or SIGTERM (then drains) or until the task is cancelled; `running` is
  /// called with the port once the server listens (the real one when `port` is 0).
  public func run(signals: Bool = true, running: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
    try await group(signals: signals ? [.sigterm, .sigint] : [], running: running).run()
  }

  /// The application as a service group: a graceful shutdown (a signal, or `triggerGracefulShutdown`)
  /// stops accepting connections and lets the requests in flight finish.
  private func group(signals: [UnixSignal], running: @escaping @Sendable (Int) async -> Void) -> ServiceGroup {
    let logger = Self.quietLogger()
    // A connection that sends or reads nothing for the time limit is closed (a stalled upload, a
    // client that went away).
    let idle = Int64(service.limits.timeoutSeconds * 1000), headers = service.limits.readSeconds, metrics = metrics
    let handlers = { [HeaderDeadline(seconds: headers), ParserErrorAnswer(metrics: metrics)] as [any RemovableChannelHandler] }
    let app = Application(router: router(), server: .http1(configuration: .init(additionalChannelHandlers: handlers(),
                                                                               idleTimeout: .milliseconds(idle))),
                          configuration: .init(address: .hostname(host, port: port), serverName: "cmh"),
                          onServerRunning: { await running($0.localAddress?.port ?? port) }, logger: logger)
    return ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: signals, logger: logger))
  }

  /// Serves on a task of its own until `stop()`; returns once it listens (the load test and the
  /// tests run the server in their process this way).
  public func start(timeoutSeconds: Double = 60) throws -> Background {
    final class Port: @unchecked Sendable { var value = 0 }
    let port = Port(), ready = DispatchSemaphore(value: 0)
    let group = group(signals: []) { port.value = $0; ready.signal() }
    let task = Task { try await group.run() }
    guard ready.wait(timeout: .now() + timeoutSeconds) == .success else {
      task.cancel()
      throw SearchError(.unsupported, "the server did not start listening on \(host) within \(Int(timeoutSeconds)) seconds")
    }
    return Background(port: port.value, group: group, task: task)
  }

  public final class Background: Sendable {
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) { self.port = port; self.group = group; self.task = task }

    /// Shuts down gracefully (requests in flight finish) and waits until the server has stopped.
    public func stop() {
      let done = DispatchSemaphore(value: 0)
      Task {
        await group.triggerGracefulShutdown()
        _ = await task.result
        done.signal()
      }
      done.wait()
    }
  }

  func router() -> Router<ServerContext> {
    let router = Router(context: ServerContext.self)
    router.add(middleware: LimitsMiddleware(metrics: metrics, limits: service.limits))
    // Every GET route answers HEAD too (the HTTP layer leaves the body out).
    let get = { (path: RouterPath, handler: @escaping @Sendable (Request, ServerContext) async throws -> Response) in
      router.get(path, use: handler)
      router.head(path, use: handler)
    }
    get("/") { _, _ in Self.reply(WebPage.html, type: "text/html; charset=utf-8") }
    get("/health") { _, _ in try Self.json(self.health()) }
    get("/metrics") { _, _ in Self.reply(self.metrics.text(), type: "text/plain; version=0.0.4") }
    router.post("/api/search/text") { request, context in try await self.searchText(request, context) }
    router.post("/api/search/image") { request, context in try await self.searchImage(request, context) }
    get("/api/item/:id") { request, context in try self.item(request, context) }
    get("/api/image/:id") { request, context in try await self.image(request, context) }
    return router
  }

  // MARK: Endpoints

  struct TextRequest: Decodable {
    let query: String
    var k: Int?, index: String?, target: String?, rerank: RerankField?
  }

  struct ItemRequest: Decodable {
    let id: String
    var from: String?, k: Int?, index: String?, target: String?, rerank: RerankField?
  }

  /// "rerank": a method's name, or true (the server's default re-ranking) or false (plain Hamming order).
  struct RerankField: Decodable {
    let name: String?, on: Bool?
    init(from decoder: any Decoder) throws {
      let value = try decoder.singleValueContainer()
      if let on = try? value.decode(Bool.self) { self.on = on; name = nil } else { name = try value.decode(String.self); on = nil }
    }
  }

  private func searchText(_ request: Request, _ context: ServerContext) async throws -> Response {
    let body = try await json(TextRequest.self, request)
    return try Self.json(try await service.searchText(body.query, k: body.k, index: body.index, target: try Self.modality(body.target, or: .image),
                                                      ranking: try Self.ranking(body.rerank?.name, on: body.rerank?.on)))
  }

  /// An upload (multipart/form-data with a part "image", or an image/* body) or an item id (JSON).
  private func searchImage(_ request: Request, _ context: ServerContext) async throws -> Response {
    let type = request.headers[.contentType] ?? ""
    let query = request.uri.queryParameters
    if Self.mediaType(type) == "application/json" {
      let body = try await json(ItemRequest.self, request)
      try Self.checkID(body.id)
      let answer = try service.searchItem(body.id, from: try body.from.map { try Self.modality($0, or: .image) }, k: body.k,
                                          index: body.index, target: try Self.modality(body.target, or: .text),
                                          ranking: try Self.ranking(body.rerank?.name, on: body.rerank?.on))
      return try Self.json(answer)
    }
    var fields = [String: String](), image: (Data, String)?
    if let boundary = Multipart.boundary(contentType: type) {
      let parts: [Multipart.Part]
      do { parts = try Multipart.parts(try await bytes(request), boundary: boundary) } catch let e as MultipartError { throw APIError(.badRequest, e.description) }
      for part in parts {
        if part.name == "image" { image = (part.data, part.filename ?? "upload") } else { fields[part.name] = String(decoding: part.data, as: UTF8.self) }
      }
      guard image != nil else { throw APIError(.badRequest, "the form has no part named \"image\" (the file to search by)") }
    } else if type.lowercased().hasPrefix("image/") {
      image = (try await bytes(request), "upload")
    } else {
      throw APIError(.unsupportedMediaType, "Content-Type \"\(type)\": send an image as multipart/form-data (part \"image\"), as image/jpeg, image/png or image/webp, or {\"id\": ...} as application/json")
    }
    let k = try Self.integer(fields["k"] ?? query["k"].map(String.init), name: "k")
    let index = fields["index"] ?? query["index"].map(String.init)
    let target = try Self.modality(fields["target"] ?? query["target"].map(String.init), or: .text)
    let rerank = fields["rerank"] ?? query["rerank"].map(String.init)
    let ranking = try Self.ranking(rerank == "true" || rerank == "false" ? nil : rerank, on: rerank == "true" ? true : rerank == "false" ? false : nil)
    return try Self.json(try await service.searchImage(image!.0, name: image!.1, k: k, index: index, target: target, ranking: ranking))
  }

  private func item(_ request: Request, _ context: ServerContext) throws -> Response {
    let id = try context.parameters.require("id")
    try Self.checkID(id)
    let query = request.uri.queryParameters
    let (item, modality) = try service.item(id, index: query["index"].map(String.init),
                                            modality: try query["modality"].map { try Self.modality(String($0), or: .image) })
    struct Item: Encodable { let id: String, modality: String, image: String?, text: String?, labels: [String] }
    return try Self.json(Item(id: item.id, modality: modality.description, image: modality == .image ? item.display : nil,
                              text: modality == .text ? item.display : nil, labels: item.labels))
  }

  private func image(_ request: Request, _ context: ServerContext) async throws -> Response {
    let id = try context.parameters.require("id")
    try Self.checkID(id)
    let query = request.uri.queryParameters
    let url = try service.imageFile(id, index: query["index"].map(String.init))
    if query["size"] == "full" {
      let data = try Data(contentsOf: url)
      return Self.reply(data, type: Thumbnail.mediaType(data))
    }
    let (data, type) = try await service.thumbnail(url)
    return Self.reply(data, type: type)
  }

  private func health() -> [String: AnyEncodable] {
    let sets = service.sets.mapValues { set in
      Dictionary(uniqueKeysWithValues: set.modalities.map { m in (m.description, (try? set.file(m).count) ?? 0) })
    }
    // The model's file name, not its path: /health answers anyone, and a path tells about the host.
    return ["status": AnyEncodable("ok"), "model": AnyEncodable(URL(fileURLWithPath: service.encoder.path).lastPathComponent), "bits": AnyEncodable(service.encoder.bits),
            "fingerprint": AnyEncodable(IndexFile.hex(service.encoder.fingerprint)),
            "gallery_fingerprint": AnyEncodable(IndexFile.hex(service.encoder.galleryFingerprint)), "index_sets": AnyEncodable(sets),
            "text_queries": AnyEncodable(service.encoder.readsFreeText), "image_queries": AnyEncodable(service.encoder.readsImageFiles)]
  }

  // MARK: Pieces

  /// A Content-Type's media type without its parameters, lower-cased ("application/json" of
  /// "Application/JSON; charset=utf-8"), so that "application/jsonfoo" is not taken for JSON.
  static func mediaType(_ contentType: String) -> String {
    String(contentType.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased()
  }

  /// The request body, which LimitsMiddleware has already received in full within the limits.
  private func bytes(_ request: Request) async throws -> Data {
    Data(buffer: try await request.body.collect(upTo: service.limits.maxUploadBytes))
  }


  private func json<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
    let type = request.headers[.contentType] ?? ""
    guard Self.mediaType(type) == "application/json" else {
      throw APIError(.unsupportedMediaType, "Content-Type \"\(type)\": this endpoint takes application/json")
    }
    return try JSONDecoder().decode(T.self, from: try await bytes(request))
  }

  static func json(_ value: some Encodable) throws -> Response {
    let encoder = JSON.encoder()
    return reply(try encoder.encode(value), type: "application/json; charset=utf-8")
  }

  static func reply(_ text: String, type: String) -> Response { reply(Data(text.utf8), type: type) }

  static func reply(_ data: Data, type: String) -> Response {
    Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  static func modality(_ name: String?, or fallback: Modality) throws -> Modality {
    guard let name else { return fallback }
    guard let m = Modality.allCases.first(where: { $0.description == name }) else { throw APIError(.badRequest, "\"\(name)\" is not a modality: image or text") }
    return m
  }

  static func integer(_ text: String?, name: String) throws -> Int? {
    guard let text else { return nil }
    guard let n = Int(text) else { throw APIError(.badRequest, "\(name) is \"\(text)\", expected a whole number") }
    return n
  }

  /// Ids name items of an index, never files: one that looks like a path is refused outright.
  static func checkID(_ id: String) throws {
    guard !id.isEmpty, !id.contains(".."), !id.hasPrefix("/"), !id.contains("\\"), !id.contains("\u{0}") else {
      throw APIError(.badRequest, "\"\(id)\" is not an item id (ids name items of an index; paths are never read from a request)")
    }
  }

  /// The ranking a request asks for: a method by name, true or nothing for the default, false for none.
  static func ranking(_ name: String?, on: Bool?) throws -> Ranking {
    if let name {
      guard let method = RerankMethod(rawValue: name) else {
        throw APIError(.badRequest, "\"rerank\": \"\(name)\" is not a re-ranking; use one of \(RerankMethod.allCases.map(\.rawValue).joined(separator: ", ")), true or false")
      }
      return Ranking(method)
    }
    return on == false ? Ranking(.none) : .standard()
  }

  private static func quietLogger() -> Logger {
    var logger = Logger(label: "cmh.serve")
    logger.logLevel = .warning
    return logger
  }
}

/// Any encodable value, for JSON objects whose fields differ in type.
struct AnyEncodable: Encodable {
  let encode: (any Encoder) throws -> Void
  init(_ value: some Encodable) { encode = value.encode }
  func encode(to encoder: any Encoder) throws { try encode(encoder) }
}
