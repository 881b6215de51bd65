import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The load generator of `xcserver-bench`: `clients` keep-alive HTTP/1.1 connections to 127.0.0.1, each
/// on its own thread with a blocking socket, sending one request after the other for a while.
///
/// Blocking sockets on plain threads cost the two shared cores far less per request than an event-loop
/// client, and they never run on the bench's event loops (which serve the fixture provider).
struct LoadClient: Sendable {
    struct Result: Sendable {
        var requests = 0
        var errors = 0
        var seconds = 0.0
        /// Latencies in milliseconds, sorted.
        var latencies: [Double] = []
        var firstError: String?

        var perSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }

        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
    }

    let port: Int
    let clients: Int

    /// Runs `clients` connections for `duration`; connection `c`'s `i`-th request is `request(c, i)`
    /// (path and extra headers). An answer with another status than `expect` counts as an error.
    func run(duration: Duration, expect: Set<Int> = [200], request: @escaping @Sendable (Int, Int) -> (path: String, headers: [String])) async -> Result {
        let results = Collected()
        let deadline = ContinuousClock.now + duration
        let started = ContinuousClock.now
        let port = port
        let clients = clients
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for client in 0..<clients {
                let thread = Thread {
                    var connection = Connection(port: port)
                    var result = Result()
                    var i = 0
                    while ContinuousClock.now < deadline {
                        let (path, headers) = request(client, i)
                        i += 1
                        let sent = ContinuousClock.now
                        do {
                            let status = try connection.get(path, headers: headers)
                            result.latencies.append(sent.duration(to: .now).inSeconds * 1000)
                            result.requests += 1
                            if !expect.contains(status) {
                                result.errors += 1
                                if result.firstError == nil { result.firstError = "HTTP \(status) for \(path)" }
                            }
                        } catch {
                            result.errors += 1
                            if result.firstError == nil { result.firstError = "\(error) for \(path)" }
                            connection.close()
                        }
                    }
                    connection.close()
                    let done = results.all.withLock { all -> Bool in
                        all.append(result)
                        return all.count == clients
                    }
                    if done { continuation.resume() }
                }
                thread.stackSize = 256 << 10
                thread.start()
            }
        }
        var total = Result(seconds: started.duration(to: .now).inSeconds)
        for result in results.all.withLock({ $0 }) {
            total.requests += result.requests
            total.errors += result.errors
            total.latencies += result.latencies
            total.firstError = total.firstError ?? result.firstError
        }
        total.latencies.sort()
        return total
    }

    private final class Collected: Sendable {
        let all = Mutex<[Result]>([])
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One keep-alive connection, reconnected after an error or a `Connection: close`.
    struct Connection {
        let port: Int
        private var fd: Int32 = -1
        private var buffer = [UInt8](repeating: 0, count: 64 << 10)
        /// Received bytes not yet consumed, `buffer[start..<end]`.
        private var start = 0
        private var end = 0

        init(port: Int) { self.port = port }

        mutating func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
            start = 0
            end = 0
        }

        private mutating func connect() throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                let code = errno
                close()
                throw Failure(description: "connect: errno \(code)")
            }
        }

        /// Sends a GET and reads the whole answer; returns its status.
        mutating func get(_ path: String, headers: [String]) throws -> Int {
            if fd < 0 { try connect() }
            let text = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n"
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
                offset += n
            }
            let head = try readHead()
            var keepAlive = true
            var length: Int?
            var chunked = false
            let lines = head.split(separator: "\r\n")
            guard let statusLine = lines.first, statusLine.count > 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else {
                throw Failure(description: "bad status line '\(lines.first ?? "")'")
            }
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
                if name == "content-length" { length = Int(value) }
                if name == "transfer-encoding" && value.contains("chunked") { chunked = true }
                if name == "connection" && value == "close" { keepAlive = false }
            }
            if chunked {
                while true {
                    let sizeLine = try readLine()
                    guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                        throw Failure(description: "bad chunk size '\(sizeLine)'")
                    }
                    try skip(size)
                    _ = try readLine()
                    if size == 0 { break }
                }
            } else {
                try skip(length ?? 0)
            }
            if !keepAlive { close() }
            return status
        }

        private mutating func fill() throws {
            if start == end {
                start = 0
                end = 0
            } else if end == buffer.count {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            }
            let capacity = buffer.count - end
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + end, capacity, 0) }
            guard n > 0 else { throw Failure(description: n == 0 ? "connection closed" : "recv: errno \(errno)") }
            end += n
        }

        /// Bytes up to a CRLF, consumed with it.
        private mutating func readLine() throws -> String {
            while true {
                if let cr = buffer[start..<end].firstIndex(of: 0x0D), cr + 1 < end {
                    let line = String(decoding: buffer[start..<cr], as: UTF8.self)
                    start = cr + 2
                    return line
                }
                try fill()
            }
        }

        private mutating func readHead() throws -> String {
            var lines: [String] = []
            while true {
                let line = try readLine()
                if line.isEmpty { return lines.joined(separator: "\r\n") }
                lines.append(line)
            }
        }

        private mutating func skip(_ count: Int) throws {
            var left = count
            while left > 0 {
                if start == end { try fill() }
                let take = min(left, end - start)
                start += take
                left -= take
            }
        }
    }
}
