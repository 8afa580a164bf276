"""A closed-loop HTTP/1.1 load generator: N clients, each sending a GET as soon as its previous
answer has been read, over keep-alive connections where the server keeps them (it reconnects
when the server closes). Standard library only (asyncio), run in a process of its own so that
it never shares an interpreter with the server it measures.

    python bench/load.py URL --clients 200 --seconds 10 --warmup 60 [--header 'Name: value']

The measured window opens when every client has had its first answer (the queue the clients
make has formed; --warmup seconds at most) and lasts --seconds. It prints one JSON object:
requests answered within the window (whenever they were sent, as a server's log counts them),
errors (non-200 answers and failed connections, by kind), requests per second, and the
p50/p99/max latency of those answers and of requests still unanswered at the end that were sent
before the window opened (counted with the time waited so far).
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from urllib.parse import urlsplit


async def _exchange(reader, writer, request: bytes) -> tuple[int, bool]:
    """Send one request, read its answer; (status, whether the server keeps the connection)."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:  # the body ends with the connection
        await reader.read()
        return status, False
    return status, headers.get("connection", "").lower() != "close"


class _Window:
    """The measured window: it opens once every client has had an answer (the queue the
    clients make has formed) or after `warmup` seconds at most, and lasts `seconds`."""

    def __init__(self, clients: int, warmup: float, seconds: float):
        self.waiting = clients
        self.seconds = seconds
        self.opened = asyncio.Event()
        self.start = self.stop = float("inf")
        asyncio.get_running_loop().call_later(warmup, self.open)

    def answered_first(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.open()

    def open(self) -> None:
        if not self.opened.is_set():
            self.start = time.perf_counter()
            self.stop = self.start + self.seconds
            self.opened.set()


async def _client(host, port, request, window, latencies, errors, in_flight):
    connection, first = None, True
    while time.perf_counter() < window.stop:
        start = time.perf_counter()
        in_flight.add(start)
        reused = connection is not None
        try:
            if connection is None:
                connection = await asyncio.open_connection(host, port)
            try:
                status, keep = await _exchange(*connection, request)
            except (OSError, asyncio.IncompleteReadError):
                if not reused:
                    raise
                # A kept-alive connection the server closed meanwhile (a worker restarted):
                # sent again on a new one, as HTTP clients do with an idempotent request.
                connection[1].close()
                connection = await asyncio.open_connection(host, port)
                status, keep = await _exchange(*connection, request)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            in_flight.discard(start)
            if connection is not None:
                connection[1].close()
            connection = None
            if time.perf_counter() >= window.start:
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
            await asyncio.sleep(0.01)
            continue
        end = time.perf_counter()
        in_flight.discard(start)
        if first:
            first = False
            window.answered_first()
        if window.start <= end <= window.stop:
            if status == 200:
                latencies.append(end - start)
            else:
                errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
        if not keep:
            connection[1].close()
            connection = None
    if connection is not None:
        connection[1].close()


async def load(url: str, *, clients: int, seconds: float, warmup: float, headers: list[str]):
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", *headers, "", ""]
    request = "\r\n".join(lines).encode("latin-1")
    latencies: list[float] = []
    errors: dict[str, int] = {}
    in_flight: set[float] = set()
    window = _Window(clients, warmup, seconds)
    tasks = [
        asyncio.ensure_future(_client(host, port, request, window, latencies, errors, in_flight))
        for _ in range(clients)
    ]
    await window.opened.wait()
    await asyncio.sleep(seconds)
    # A request still unanswered at the end that was sent before the window opened has waited
    # at least the whole window: it counts with the time waited so far (else the slowest
    # answers would be left out of the p99); one sent later is left out, like its answer.
    now = time.perf_counter()
    answered = len(latencies)
    latencies += [now - sent for sent in in_flight if sent < window.start]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()

    def quantile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    return {
        "requests": answered,
        "errors": errors,
        "rps": answered / seconds,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p99": quantile(0.99),
        "max": latencies[-1] if latencies else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=60.0, help="at most")
    parser.add_argument("--header", action="append", default=[])
    arguments = parser.parse_args()
    result = asyncio.run(
        load(
            arguments.url,
            clients=arguments.clients,
            seconds=arguments.seconds,
            warmup=arguments.warmup,
            headers=arguments.header,
        )
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
