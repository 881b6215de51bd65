import Hummingbird

/// The web page's session cookie: `HttpOnly` (page scripts never see it), `SameSite=Strict` (other
/// sites' pages never send it), `Path=/` (the page and `/api` share it). Not `Secure`: xcserver is
/// reached over plain HTTP on a home network; behind an HTTPS proxy the proxy may add it.
enum SessionCookie {
    static let name = "xcserver_session"
    static let attributes = "HttpOnly; SameSite=Strict; Path=/"

    static func setting(_ id: String) -> String { "\(name)=\(id); \(attributes)" }
    static let clearing = "\(name)=; \(attributes); Max-Age=0"

    /// The session id the request's `Cookie` header carries, if any.
    static func value(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }
}
