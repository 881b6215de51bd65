import Hummingbird
import NIOCore

/// One request's use of the answer cache: its login's view and the database generation checked when
/// the request began. Adding an action to the cache is one `small` or `list` call with its key.
struct CachedResponses: Sendable {
    let cache: AnswerCache
    /// The login (user id): another login may see other categories and other variants.
    let view: Int64
    var generation: AnswerGeneration

    static let json = "application/json; charset=utf-8"

    func hit(_ key: AnswerKey) -> CachedAnswer? {
        cache.answer(view: view, key, at: generation)
    }

    func keep(_ key: AnswerKey, _ answer: CachedAnswer) {
        cache.keep(view: view, key, answer, at: generation)
    }

    /// A small answer (category lists, info answers), sent whole and uncompressed.
    func small(_ key: AnswerKey, render: () async throws -> [UInt8]) async throws -> Response {
        if let hit = hit(key) { return Self.plain(hit) }
        let bytes = try await render()
        keep(key, CachedAnswer(plain: AnswerBytes(bytes)))
        return .json(bytes)
    }

    /// A big list: from the cache as one buffer (its gzip form made once, the first time a client asks
    /// for it), or streamed page by page as before and kept once it was sent whole.
    func list(_ key: AnswerKey, request: Request, producer: @escaping StreamedBody.Producer) -> Response {
        guard var hit = hit(key) else {
            let (cache, view, generation) = (cache, view, generation)
            return StreamedBody.response(for: request, contentType: Self.json, keep: { plain, gzip in
                cache.keep(view: view, key, CachedAnswer(plain: plain, gzip: gzip), at: generation)
            }, producer: producer)
        }
        guard StreamedBody.acceptsGzip(request) else { return Self.plain(hit) }
        if hit.gzip == nil {
            guard let gzip = try? StreamedBody.gzipped(hit.plain) else { return Self.plain(hit) }
            hit.gzip = gzip
            keep(key, hit)
        }
        return Response(status: .ok, headers: StreamedBody.headers(contentType: Self.json, gzip: true), body: hit.gzip!.body)
    }

    static func plain(_ answer: CachedAnswer) -> Response {
        Response(status: .ok, headers: [.contentType: json], body: answer.plain.body)
    }
}
