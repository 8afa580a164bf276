"""bench/load.py, the throughput benchmark's load generator, against a small local server."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import load


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the answer says otherwise

    def do_GET(self):
        body = b"x" * 1000
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"3e8\r\n" + body + b"\r\n0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        if self.path == "/close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client cancelled at the end of its window: nothing to report


@pytest.fixture(scope="module")
def server():
    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def in_own_thread(coroutine) -> dict:
    """Run the load generator as `bench/load.py` runs it, in an event loop of its own: this
    test process may hold a running loop in its main thread (Playwright's, once a browser test
    ran in the same worker), where `asyncio.run()` refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_load(url: str) -> dict:
    return in_own_thread(load(url, clients=4, seconds=0.3, warmup=10, headers=["X-Test: 1"]))


@pytest.mark.parametrize("path", ["/kept-alive", "/close", "/chunked"])
def test_answers_are_counted_with_their_latencies(server, path):
    result = run_load(server + path)
    assert result["requests"] > 0 and result["errors"] == {}
    assert result["rps"] == pytest.approx(result["requests"] / 0.3)
    assert 0 < result["p50"] <= result["p99"] <= result["max"]


def test_an_error_answer_is_counted_as_an_error(server):
    result = run_load(server + "/missing")
    assert result["requests"] == 0
    assert result["errors"]["HTTP 404"] > 0


def test_a_server_that_does_not_answer_is_an_error():
    result = in_own_thread(
        load("http://127.0.0.1:9/", clients=2, seconds=0.2, warmup=0.1, headers=[])
    )
    assert result["requests"] == 0
    assert result["errors"]
