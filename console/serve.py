"""Serve iamlab in production: granian (a Rust HTTP server) running console.wsgi.

    python -m console.serve --bind 127.0.0.1:8000 --workers 2 --threads 2 [--share-cpus] [--access-log]

`make run` and `make bench` start it. granian does the HTTP (parsing, keep-alive,
Expect: 100-continue, streaming bodies both ways) in Rust: about 0.05 ms of CPU per
request to a trivial WSGI app where gunicorn spends 0.2-0.25 ms, on a budget of 0.5 ms
for a whole signed API call. Each worker process runs the application on ``--threads``
Python threads; a slow client holds one for its whole upload or download, so one thread
would let a single slow `aws s3 cp` stall every request its worker gets. Each worker is
kept on a CPU of its own (console/affinity.py): its threads then pass the GIL to each
other on one core instead of across two, which costs up to 40% more CPU per request.
"""

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from console import affinity
from trail.apps import deliveries_on

# granian starts every request's WSGI environ from a copy of the server's os.environ
# (granian/wsgi.py), as CGI did: a variable named like a request header or a CGI
# variable would then arrive with every request that lacks it — the user's HTTP_PROXY
# as a "Proxy" header ("httpoxy"), HTTP_AUTHORIZATION or HTTP_X_AMZ_TARGET turning every
# console page into an API call, RAW_URI replacing the path every signature covers,
# REMOTE_USER as an authenticated user. The server needs none of them.
CGI_VARIABLES = frozenset({
    # RFC 3875's request meta-variables
    "AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "GATEWAY_INTERFACE", "PATH_INFO",
    "PATH_TRANSLATED", "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_IDENT",
    "REMOTE_USER", "REQUEST_METHOD", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT",
    "SERVER_PROTOCOL", "SERVER_SOFTWARE",
    # what other servers add and applications read
    "HTTPS", "RAW_URI", "REQUEST_URI",
})

# Python's concurrency is --threads; backpressure is granian's limit on the *connections*
# a worker holds, idle keep-alive ones included (a browser keeps 6 open, `aws s3 cp` 10):
# at threads * 2 the next client's connection waits in the kernel's backlog until one of
# them closes. Requests beyond --threads wait in granian for a free thread anyway.
CONNECTIONS_PER_WORKER = 512
MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
# As granian's for its workers: what a stopping process gets before it is killed.
STOP_TIMEOUT = 30

log = logging.getLogger(__name__)


def clean_environ(environ):
    """Remove the variables a WSGI environ must get from the request only."""
    for name in [n for n in environ if n.startswith(("HTTP_", "wsgi.")) or n in CGI_VARIABLES]:
        del environ[name]


def address(value):
    """``HOST:PORT`` (``[::1]:8000`` for IPv6) as (host, port)."""
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {value!r}")
    return host, int(port)


def positive(value):
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {value!r}")
    return int(value)


def parser():
    p = argparse.ArgumentParser(prog="python -m console.serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--bind", type=address, default=("127.0.0.1", 8000), metavar="HOST:PORT",
                   help="address to listen on (default 127.0.0.1:8000)")
    p.add_argument("--workers", type=positive, default=os.cpu_count() or 1,
                   help="processes (default: one per core)")
    p.add_argument("--threads", type=positive, default=2,
                   help="Python threads per process (default 2; a slow client holds one for its whole transfer)")
    p.add_argument("--share-cpus", action="store_true", help="let every worker run on any CPU "
                   "(default: each worker is kept on a CPU of its own, see console/affinity.py)")
    p.add_argument("--access-log", action="store_true", help="log every request (off: it costs CPU per request, "
                   "and every API call is in the CloudTrail event history anyway)")
    return p


def main(argv=None):
    options = parser().parse_args(argv)
    clean_environ(os.environ)
    # granian's worker processes inherit it and write CloudTrail events behind their
    # answers (console/settings.py); management commands and tests do not have it.
    os.environ["IAMLAB_SERVING"] = "1"
    claims = None
    if not options.share_cpus:
        # The workers (console/wsgi.py) claim their CPUs here; see console/affinity.py.
        claims = tempfile.mkdtemp(prefix="iamlab-cpus-")
        os.environ[affinity.ENVIRON] = claims
    deliveries = Deliveries() if deliveries_on() else None
    try:
        if deliveries:
            deliveries.start()
        _serve(options)
    finally:
        if deliveries:
            deliveries.stop()
        if claims:
            shutil.rmtree(claims, ignore_errors=True)


class Deliveries(threading.Thread):
    """Keeps one ``manage.py delivertrails --forever`` process running beside the workers,
    starting another when it dies, until ``stop()``.

    Not a thread of a worker: sealing the event store is pure Python (16-20 us an event,
    bench/seal_events.py), so a seal run after 5 s at 8,000 calls a second holds a
    worker's GIL for 0.7 s of CPU; its request threads then waited for the GIL up to the
    interpreter's 5 ms switch interval at every turn, and GetCallerIdentity's p99 at 4
    connections went over 10 ms. A process of its own is scheduled by the kernel, which
    preempts it for a request within a time slice."""

    def __init__(self):
        super().__init__(name="trail-deliveries", daemon=True)
        # One name for every process started here: a process started in a dead one's
        # place takes back its lease at once (trail.delivery.run_periodically).
        self.holder = f"serve-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.stopping = threading.Event()
        self.process = None
        self._lock = threading.Lock()

    def command(self):
        return [sys.executable, str(MANAGE), "delivertrails", "--forever", "--holder", self.holder]

    def environ(self):
        # Not a server worker: not pinned to a worker's CPU, and it writes its own
        # events (if any) as it makes them rather than behind (console/settings.py).
        env = dict(os.environ)
        for name in ("IAMLAB_SERVING", affinity.ENVIRON):
            env.pop(name, None)
        return env

    def run(self):
        while not self.stopping.is_set():
            with self._lock:
                if self.stopping.is_set():
                    return
                # Its own process group too (see console/wsgi.py): stopped by stop() only.
                self.process = subprocess.Popen(self.command(), env=self.environ(), process_group=0)
            status = self.process.wait()
            if not self.stopping.wait(1):
                log.warning("the trail delivery process ended (status %s); starting another", status)

    def stop(self):
        with self._lock:
            self.stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve(options):
    from granian.constants import Interfaces
    from granian.server import Server

    host, port = options.bind
    Server(
        "console.wsgi:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=options.workers,
        blocking_threads=options.threads,
        # Threads (and the database connections they hold) outlive a quiet spell.
        blocking_threads_idle_timeout=600,
        backpressure=CONNECTIONS_PER_WORKER,
        log_access=options.access_log,
        respawn_failed_workers=True,
        # As gunicorn's graceful timeout: requests in flight get 30 s to finish.
        workers_kill_timeout=30,
    ).serve()


if __name__ == "__main__":
    main()
