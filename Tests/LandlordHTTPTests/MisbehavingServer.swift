import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback HTTP/1.1 server that answers every request with one chosen misbehaviour, the way
/// networks and servers fail: closed or reset connections, stalls, answers cut short.
final class MisbehavingServer: Sendable {
    enum Fault: String, Sendable, CaseIterable {
        /// Answers 200, echoing the method in `x-method` and the request body as the body.
        case answer
        /// Reads the request, then closes the connection without a byte of answer.
        case closeAfterRequest
        /// Reads the request, then resets the connection (RST, no answer).
        case resetAfterRequest
        /// Sends the status line, headers and part of the body, then resets the connection.
        case resetMidBody
        /// Reads the request and never answers (until the client gives up).
        case silent
        /// Sends the headers and part of the body, then goes silent.
        case stallMidBody
        /// Sends the headers, then a byte of body every 200 ms: never a stall, never done.
        case trickle
        /// Answers the first request it receives (keeping the connection open); every later one
        /// is read and its connection closed without an answer: a kept-alive connection that
        /// died under a request, and every connection after it.
        case answerOnceThenClose
    }

    /// A loopback address of its own (127.31.x.y): libcurl keeps connections per host and port
    /// for the whole process, so a server that reused another's 127.0.0.1 port could be
    /// reached through a connection kept alive to the other.
    let host: String
    let port: UInt16
    private let listener: Int32
    private let received = Mutex(0)

    /// Requests read so far, on every connection.
    var requestsReceived: Int { received.withLock { $0 } }

    /// Listens on a loopback address on a free port; serves on threads of its own until `stop()`.
    init(_ fault: Fault) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        let host = "127.31.\(Int.random(in: 1...254)).\(Int.random(in: 1...254))"
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 64) == 0 else {
            close(fd)
            throw ServerError("cannot listen on \(host): errno \(errno)")
        }
        self.host = host
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            // The accept thread closes the listener, once accept fails after `stop()`: closed
            // by `stop()`, its descriptor could be reused by the next server's socket while this
            // thread is between two accepts, and this server would serve that one's clients.
            defer { close(fd) }
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                Thread.detachNewThread { self.serve(connection, fault) }
            }
        }
    }

    /// Stops accepting (connections being served end when their clients close them).
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve(_ connection: Int32, _ fault: Fault) {
        defer { close(connection) }
        guard let (head, body) = Self.readRequest(connection) else { return }
        let count = received.withLock {
            $0 += 1
            return $0
        }
        let partial = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 1000)
        switch fault {
        case .answerOnceThenClose:
            guard count == 1 else { return }
            Self.write(connection, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            guard Self.readRequest(connection) != nil else { return }
            received.withLock { $0 += 1 }
        case .answer:
            let method = head.split(separator: " ").first.map(String.init) ?? "?"
            Self.write(connection, "HTTP/1.1 200 OK\r\nx-method: \(method)\r\nx-twice: a\r\nx-twice: b\r\nContent-Length: \(body.count)\r\n\r\n")
            Self.write(connection, body)
        case .closeAfterRequest:
            return
        case .resetAfterRequest:
            Self.reset(connection)
        case .resetMidBody:
            Self.write(connection, partial)
            Self.reset(connection)
        case .trickle:
            Self.write(connection, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while send(connection, "x", 1, Int32(MSG_NOSIGNAL)) == 1 { usleep(200_000) }
        case .silent, .stallMidBody:
            if fault == .stallMidBody { Self.write(connection, partial) }
            // Waits until the client closes the connection (recv returns 0 or fails).
            var byte: UInt8 = 0
            while recv(connection, &byte, 1, 0) > 0 {}
        }
    }

    /// The request's head (up to the blank line) and its body (by Content-Length).
    private static func readRequest(_ connection: Int32) -> (String, Data)? {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = received.range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count - end.upperBound >= length {
                    return (head, Data(received[end.upperBound..<(end.upperBound + length)]))
                }
            }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            received.append(contentsOf: buffer[0..<count])
        }
    }

    private static func write(_ connection: Int32, _ text: String) { write(connection, Data(text.utf8)) }

    private static func write(_ connection: Int32, _ data: Data) {
        _ = data.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Closes with SO_LINGER 0: the peer sees a reset, not an orderly close.
    private static func reset(_ connection: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
