import Foundation

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
    }

    let port: UInt16
    private let listener: Int32

    /// Listens on 127.0.0.1 on a free port; serves on threads of its own until `stop()`.
    init(_ fault: Fault) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 64) == 0 else {
            close(fd)
            throw ServerError("cannot listen on 127.0.0.1: errno \(errno)")
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                Thread.detachNewThread { Self.serve(connection, fault) }
            }
        }
    }

    /// Stops accepting (connections being served end when their clients close them).
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ connection: Int32, _ fault: Fault) {
        defer { close(connection) }
        guard let (head, body) = readRequest(connection) else { return }
        let partial = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 1000)
        switch fault {
        case .answer:
            let method = head.split(separator: " ").first.map(String.init) ?? "?"
            write(connection, "HTTP/1.1 200 OK\r\nx-method: \(method)\r\nx-twice: a\r\nx-twice: b\r\nContent-Length: \(body.count)\r\n\r\n")
            write(connection, body)
        case .closeAfterRequest:
            return
        case .resetAfterRequest:
            reset(connection)
        case .resetMidBody:
            write(connection, partial)
            reset(connection)
        case .trickle:
            write(connection, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while send(connection, "x", 1, Int32(MSG_NOSIGNAL)) == 1 { usleep(200_000) }
        case .silent, .stallMidBody:
            if fault == .stallMidBody { write(connection, partial) }
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
