// ServerLimits: what one request may ask of the service, so that no client can take it over.

public struct ServerLimits: Sendable {
  /// Largest request body (an uploaded image), bytes.
  public var maxUploadBytes = 10 << 20
  /// Most pixels of an uploaded image, decoded (checked from its header): a 31 KB PNG can hold
  /// 16,000 × 16,000 pixels.
  public var maxImagePixels = 64 << 20
  /// Longest text query: UTF-8 bytes, characters (Unicode scalars, so that combining marks count
  /// one by one: a grapheme cluster can hold millions of them) and words.
  public var maxQueryBytes = 4_000
  public var maxQueryCharacters = 1_000
  public var maxQueryWords = 100
  /// Most results one search returns.
  public var maxResults = 1_000
  /// Results when a request does not say.
  public var defaultResults = 20
  /// Seconds of model work before a request is answered 503; also how long a connection may stay
  /// idle (nothing sent or read) before it is closed.
  public var timeoutSeconds = 30.0
  /// Seconds to receive a whole request body, however it trickles in; a request takes a slot of
  /// the cap only once its body is in, so slow senders cannot hold the slots.
  public var readSeconds = 30.0
  /// Requests handled at once; more are answered 503 at once (/health and /metrics are answered
  /// outside this cap).
  public var maxConcurrentRequests = 256
  /// Origins (scheme://host[:port]) of other sites whose pages may call the API; requests with any
  /// other Origin than the server's own are answered 403.
  public var allowedOrigins: Set<String> = []

  public init() {}

  /// The limits `cmh serve` takes: uploads in megabytes, images in megapixels (2^20 pixels, at most 256).
  public init(uploadMegabytes: Int, megapixels: Int, concurrentRequests: Int, timeout: Double, read: Double, origins: [String]) {
    (maxUploadBytes, maxImagePixels, maxConcurrentRequests) = (uploadMegabytes << 20, min(megapixels, 256) << 20, concurrentRequests)
    (timeoutSeconds, readSeconds, allowedOrigins) = (timeout, read, Set(origins))
  }
}
