"""Server CPU per signed API request, measured on the real server.

Starts iamlab as `make run` does (`python -m console.serve`, granian, production
settings, SQLite WAL) in a fresh var dir on a free loopback port, creates an account
with a root access key, signs one request per action with botocore, replays it from
client processes over keep-alive connections, and reads the workers' CPU time
(utime + stime from /proc) before and after.

    .venv/bin/python bench/wire_cpu.py [--requests 4000] [--clients 4] [--server-args "..."]
"""

import argparse
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")
# What `make run` passes to console.serve (the Makefile's SERVER_ARGS).
DEFAULT_SERVER_ARGS = f"--workers {os.cpu_count() or 2} --threads 2"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def workers(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(p) for p in children]


def sign(url, key, service, body):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key["access_key_id"], key["secret_access_key"]), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def client(args):
    import http.client

    port, body, headers, count = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    for _ in range(count):
        start = time.perf_counter()
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        errors += response.status != 200
    return latencies, errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--server-args", default=os.environ.get("SERVER_ARGS") or DEFAULT_SERVER_ARGS,
                        help="python -m console.serve's arguments after --bind (default: make run's)")
    options = parser.parse_args()
    var = tempfile.mkdtemp(prefix="iamlab-bench-")
    env = {**os.environ, "IAMLAB_VAR_DIR": var}
    env.pop("DATABASE_URL", None)
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run(manage + ["migrate", "-v0"], env=env, check=True, cwd=ROOT)
    out = subprocess.run(manage + ["createaccount", "--email", "bench@example.com", "--password", "Bench-Passw0rd!",
                                   "--root-access-key", "--json"], env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    key = json.loads(out.stdout)
    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "console.serve", "--bind", f"127.0.0.1:{port}", *shlex.split(options.server_args)],
        env=env, cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        rows = []
        for name, service, body in (
            ("sts GetCallerIdentity", "sts", b"Action=GetCallerIdentity&Version=2011-06-15"),
            ("iam ListUsers", "iam", b"Action=ListUsers&Version=2010-05-08"),
        ):
            headers = sign(url, key, service, body)
            client((port, body, headers, 50))  # warm up every worker's caches
            pids = workers(server.pid)
            per_client = options.requests // options.clients
            before, started = cpu_seconds(pids), time.perf_counter()
            with ProcessPoolExecutor(options.clients) as pool:
                results = list(pool.map(client, [(port, body, headers, per_client)] * options.clients))
            elapsed, cpu = time.perf_counter() - started, cpu_seconds(pids) - before
            latencies = sorted(lat for lats, _ in results for lat in lats)
            errors = sum(e for _, e in results)
            total = len(latencies)
            rows.append((name, total, total / elapsed, statistics.median(latencies) * 1000,
                         latencies[int(total * 0.99) - 1] * 1000, cpu / total * 1000, errors))
        print(f"{'request':24} {'n':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} {'errors':>6}")
        for row in rows:
            print(f"{row[0]:24} {row[1]:6d} {row[2]:8.0f} {row[3]:7.2f} {row[4]:7.2f} {row[5]:10.3f} {row[6]:6d}")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
