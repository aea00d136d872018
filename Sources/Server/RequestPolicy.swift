// RequestPolicy: what the server answers before any endpoint runs — requests from other sites'
// pages (refused unless their origin is allowed), the methods each path takes (405 with Allow for
// another), and the paths answered outside the request cap.

import Hummingbird

struct RequestPolicy: Sendable {
  /// Each path pattern (":name" matches one segment) with its method.
  static let routes: [(method: String, pattern: String)] = [
    ("GET", "/"), ("GET", "/health"), ("GET", "/metrics"), ("POST", "/api/search/text"), ("POST", "/api/search/image"),
    ("GET", "/api/item/:id"), ("GET", "/api/image/:id"),
  ]
  /// Answered even when every request slot is taken: a monitor must see an overloaded server.
  static let uncapped: Set<String> = ["/health", "/metrics"]

  /// Origins (scheme://host[:port]) whose pages may call the API besides the server's own.
  let allowedOrigins: Set<String>

  /// The methods `path` takes, in the routes' order (empty: no such path).
  static func methods(_ path: String) -> [String] {
    let segments = path.split(separator: "/", omittingEmptySubsequences: false)
    var found = [String]()
    for route in routes where !found.contains(route.method) {
      let pattern = route.pattern.split(separator: "/", omittingEmptySubsequences: false)
      guard pattern.count == segments.count else { continue }
      if zip(pattern, segments).allSatisfy({ $0.hasPrefix(":") ? !$1.isEmpty : $0 == $1 }) { found.append(route.method) }
    }
    return found
  }

  /// nil when the request may go on; otherwise why it is refused. A browser sends Origin with
  /// every cross-site POST (a form or fetch() from any page the user opens); the server's own page
  /// sends its own origin, which is the Host the request was sent to.
  func refusal(origin: String?, host: String?) -> String? {
    guard let origin else { return nil }
    if allowedOrigins.contains(origin) { return nil }
    if let host, origin == "http://" + host || origin == "https://" + host { return nil }
    return "requests from pages of another site are refused (Origin: \(origin)); start cmh serve with --allow-origin \(origin) to allow them"
  }
}
