#!/usr/bin/env python3
"""An HTTP/1.1 proxy on 127.0.0.1 that injects network faults, by seed, between Landlord and a
local server (moto_server, localstripe): the faults real networks and endpoints make.

  fault_proxy.py --port 5199 --upstream 127.0.0.1:5123 --seed 31 [--error 0.1 --slow 0.05
                 --drop 0.05 --reset 0.03 --slow-seconds 2] [--stats FILE]

Each request, in the order they arrive, draws one fate from a random.Random(seed):
  error   answered 500 (InternalError) or 503 (SlowDown) without reaching the upstream
  slow    forwarded; the answer is held back --slow-seconds (under the client's stall deadline)
  drop    forwarded (it takes effect), then the client's connection is closed with no answer
  reset   forwarded (it takes effect), then the status line, the headers and half the body are
          sent and the connection is reset (RST)
  pass    forwarded and answered as the upstream answered
Paths under /moto-api/ always pass. The counts go to --stats (JSON) after every request and on
SIGTERM, and to stderr on exit. Python 3's standard library only.
"""
import argparse, asyncio, json, os, random, signal, socket, struct, sys

FATES = ("error", "slow", "drop", "reset", "pass")


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.counts = {fate: 0 for fate in FATES}
        self.upstream_host, port = args.upstream.rsplit(":", 1)
        self.upstream_port = int(port)

    def fate(self, path):
        if path.startswith("/moto-api/"):
            return "pass"
        r = self.rng.random()
        for fate in ("error", "slow", "drop", "reset"):
            rate = getattr(self.args, fate)
            if r < rate:
                return fate
            r -= rate
        return "pass"

    def record(self, fate):
        self.counts[fate] += 1
        if self.args.stats:
            with open(self.args.stats + ".tmp", "w") as f:
                json.dump(self.counts, f)
            os.replace(self.args.stats + ".tmp", self.args.stats)

    async def read_request(self, reader):
        """(request line, headers as (name, value) pairs, body) or None at end of stream."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)
        body = await read_chunked(reader) if chunked else (await reader.readexactly(length) if length else b"")
        return lines[0], headers, body

    async def forward(self, line, headers, body):
        """Sends the request upstream on a connection of its own; (status line, headers, body)."""
        reader, writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        try:
            kept = [(k, v) for k, v in headers if k.lower() not in ("connection", "content-length", "transfer-encoding", "keep-alive")]
            kept += [("Content-Length", str(len(body))), ("Connection", "close")]
            writer.write((line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept) + "\r\n").encode("latin-1") + body)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            answer_headers = [tuple(part.strip() for part in l.split(":", 1)) for l in lines[1:] if ":" in l]
            method = line.split(" ", 1)[0]
            status = int(lines[0].split(" ")[1])
            if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
                answer_body = b""
            elif any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in answer_headers):
                answer_body = await read_chunked(reader)
            else:
                length = next((int(v) for k, v in answer_headers if k.lower() == "content-length"), None)
                answer_body = await reader.readexactly(length) if length is not None else await reader.read()
            return lines[0], answer_headers, answer_body, method
        finally:
            writer.close()

    async def serve(self, reader, writer):
        try:
            while True:
                try:
                    line, headers, body = await self.read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                path = line.split(" ")[1] if " " in line else "/"
                fate = self.fate(path)
                self.record(fate)
                if fate == "error":
                    status, code = self.rng.choice(((500, "InternalError"), (503, "SlowDown")))
                    text = f"<Error><Code>{code}</Code><Message>injected by fault_proxy.py</Message></Error>".encode()
                    writer.write(f"HTTP/1.1 {status} {code}\r\nContent-Type: application/xml\r\nContent-Length: {len(text)}\r\n\r\n".encode() + text)
                    await writer.drain()
                    continue
                status_line, answer_headers, answer_body, method = await self.forward(line, headers, body)
                if fate == "drop":
                    return  # closed (finally) without a byte of answer
                kept = [(k, v) for k, v in answer_headers if k.lower() not in ("connection", "transfer-encoding", "keep-alive")]
                if method != "HEAD":
                    kept = [(k, v) for k, v in kept if k.lower() != "content-length"] + [("Content-Length", str(len(answer_body)))]
                head = (status_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept) + "\r\n").encode("latin-1")
                if fate == "reset":
                    # Cut mid-body, or mid-headers when there is no body (else the answer is whole).
                    writer.write(head + answer_body[: len(answer_body) // 2] if answer_body else head[: len(head) // 2])
                    await writer.drain()
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if fate == "slow":
                    await asyncio.sleep(self.args.slow_seconds)
                writer.write(head + answer_body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            return
        finally:
            writer.close()


async def read_chunked(reader):
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True, help="HOST:PORT of the server behind the proxy")
    p.add_argument("--seed", type=int, default=31)
    p.add_argument("--error", type=float, default=0.10)
    p.add_argument("--slow", type=float, default=0.05)
    p.add_argument("--drop", type=float, default=0.05)
    p.add_argument("--reset", type=float, default=0.03)
    p.add_argument("--slow-seconds", type=float, default=2.0)
    p.add_argument("--stats", help="file the fault counts are written to (JSON)")
    args = p.parse_args()
    if args.error + args.slow + args.drop + args.reset > 1:
        p.error("the fault rates add up to more than 1; lower them")
    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.serve, "127.0.0.1", args.port)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(s, stop.set)
    async with server:
        await stop.wait()
    print("fault_proxy: " + ", ".join(f"{k} {v}" for k, v in proxy.counts.items()), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
