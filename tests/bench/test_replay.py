"""bench/replay.lua, the wrk script `make bench` measures throughput with: every
connection wrk opens sends requests, and every recorded request is sent."""

import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPLAY = Path(__file__).resolve().parents[2] / "bench" / "replay.lua"

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (.ci/run installs it)")


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the servers wrk measures

    def do_GET(self):
        self.server.seen.append((self.client_address[1], self.path))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except ConnectionResetError:  # wrk resets its connections when the time is up
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # socketserver's 5 would drop some of wrk's simultaneous connects


@pytest.fixture
def server():
    httpd = Server(("127.0.0.1", 0), Recorder)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def replay(server, tmp_path, paths, threads, connections):
    records = tmp_path / "records"
    with open(records, "wb") as f:
        for path in paths:
            raw = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
            f.write(b"%d\n" % len(raw) + raw)
    port = server.server_address[1]
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", "-d1s", "-s", str(REPLAY), f"http://127.0.0.1:{port}/"],
        env={**os.environ, "REPLAY_FILE": str(records), "REPLAY_THREADS": str(threads)},
        capture_output=True, text=True, timeout=30, check=True,
    )
    return out.stdout


@pytest.mark.parametrize("threads, connections", [(2, 4), (2, 8), (4, 4)])
def test_one_record_is_sent_on_every_connection(server, tmp_path, threads, connections):
    replay(server, tmp_path, ["/same"], threads, connections)
    assert {path for _, path in server.seen} == {"/same"}
    assert len({port for port, _ in server.seen}) == connections


def test_every_record_is_sent_and_none_twice_before_the_file_wraps(server, tmp_path):
    paths = [f"/r{i}" for i in range(200_000)]
    replay(server, tmp_path, paths, 2, 4)
    sent = [path for _, path in server.seen]
    assert len({port for port, _ in server.seen}) == 4
    assert len(sent) == len(set(sent)) > 100
