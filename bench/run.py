"""iamlab side by side with moto's server, in one run (`make bench`).

Starts iamlab as `make run` serves it (`python -m console.serve`, granian, with the
Makefile's SERVER_ARGS, production settings, SQLite WAL, one worker per core) in a fresh
IAMLAB_VAR_DIR with an account and a root access key, and moto's server (from
bench/.venv-moto, never a dependency of the project) on loopback, then measures both,
alternating iamlab and moto row by row so that machine noise hits both alike:

1. Server throughput: requests signed once by botocore, written as raw HTTP requests to
   a file and replayed by wrk (bench/replay.lua) over keep-alive connections — requests/s,
   p50/p99 latency, error responses and server CPU per request (utime + stime of the
   server's whole process tree from /proc, before and after).
2. Real-client latency: boto3 loops in 1 and 4 processes.
3. Policy evaluation (bench/policy_eval.py).
4. LookupEvents and console pages: bench/lookup_events.py when it exists (see
   ``run_lookup_events``).
5. Server memory during a 200 MiB S3 upload and download, when PutObject works.

Prints one table (iamlab, moto, ratio) and writes it to bench/RESULTS.md with the date,
the machine and the versions.

    make bench BENCH_ARGS="..."   or   .venv/bin/python bench/run.py [--seconds 4] [--rounds 2]
        [--rows sts,listusers,createuser,listbuckets,putobject] [--servers iamlab,moto]
        [--skip boto3,policy,lookup,memory] [--server-args "..."] [--results '']
"""

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
MOTO_VENV = Path(os.environ.get("MOTO_VENV", BENCH / ".venv-moto"))
# What `make run` passes to console.serve (the Makefile exports it as SERVER_ARGS).
DEFAULT_SERVER_ARGS = f"--workers {os.cpu_count() or 2} --threads 2"
REGION = "us-east-1"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
# 8 as well as 4: each of the server's workers listens on its own socket (SO_REUSEPORT) and
# the kernel gives each new connection to one of them by a hash of its addresses, so 4
# client connections land 2:2, 3:1 or, 1 time in 8, 4:0 on 2 workers (measured:
# GetCallerIdentity 2,500 req/s on one worker, 4,700 spread); 8 shows the spread-out picture.
CONCURRENCY = (1, 4, 8)
# Signed records a second of a non-idempotent row's run (CreateUser's names, PutObject's keys).
DISTINCT_PER_SECOND = 6000


# ---------------------------------------------------------------- processes and /proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds}s")


def children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def workers(pid):
    """The server's worker processes: its children but the one that delivers trails and
    seals the event store (console/serve.py runs it beside them)."""
    found = []
    for child in children(pid):
        try:
            if b"delivertrails" not in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            pass
    return found


def process_tree(pid):
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(children(current))
    return pids


def connections_by_worker(workers, port):
    """How many established connections to ``port`` each of ``workers`` holds, read off
    /proc: each process's socket inodes matched with the kernel's TCP table."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])
    counts = []
    for pid in workers:
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        counts.append(len(inodes & established))
    return counts


def cpu_seconds(pid):
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def machine_cpu_ticks():
    """The machine's CPU time so far by kind, from the first line of /proc/stat: user,
    nice, system, idle, iowait, irq, softirq, steal, ..."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def stolen_percent(before, after):
    """The share of the machine's CPU time between two ``machine_cpu_ticks`` that the
    hypervisor gave to others (steal), in percent; None where the kernel does not count it.
    It tells a run slowed by the machine from a slow server. On one 2-core virtual
    machine, GetCallerIdentity at 4 connections lost 11-15% of the machine's time, in
    pauses of about 0.1 s, and had a p99 of about 95 ms at the client against under 1.5 ms
    inside the application; minutes later the same runs lost under 0.5% and had a p99
    of 9-14 ms."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after)]
    total = sum(spent[:8])  # guest time is already counted in user and nice
    return 100 * spent[7] / total if total else None


def rss_bytes(pid):
    total = 0
    for p in process_tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
    return total


class Server:
    def __init__(self, name, url, process, key, var=None):
        self.name, self.url, self.process, self.key, self.var = name, url, process, key, var
        self.host = url.split("//", 1)[1]
        self.port = int(self.host.rsplit(":", 1)[1])

    def signer(self, fresh_account=False):
        """This server, signing as the bench account's root user or, with
        ``fresh_account``, as the root user of a new account (iamlab keeps AWS's quota of
        5,000 users per account, which CreateUser runs would exhaust)."""
        if not fresh_account or self.var is None:
            return self
        return Server(self.name, self.url, self.process, create_account(self.var), self.var)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def iamlab_env(var):
    env = {**os.environ, "IAMLAB_VAR_DIR": var}
    for name in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


ACCOUNTS = iter(range(1, 10**6))


def create_account(var):
    """A new account with a root access key in the instance at ``var``: its key."""
    out = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "createaccount", "--email", f"bench{next(ACCOUNTS)}@example.com",
         "--password", "Bench-Passw0rd!2026", "--root-access-key", "--json"],
        env=iamlab_env(var), check=True, capture_output=True, text=True, cwd=ROOT,
    )
    facts = json.loads(out.stdout)
    return {"access_key_id": facts["access_key_id"], "secret_access_key": facts["secret_access_key"]}


def start_iamlab(server_args, log):
    var = tempfile.mkdtemp(prefix="iamlab-bench-")
    env = iamlab_env(var)
    subprocess.run([PYTHON, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    key = create_account(var)
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "console.serve", "--bind", f"127.0.0.1:{port}", *shlex.split(server_args)],
        env=env, cwd=ROOT, stdout=log, stderr=log,
    )
    wait_port(port, process)
    return Server("iamlab", f"http://127.0.0.1:{port}", process, key, var)


def start_moto(log):
    binary = MOTO_VENV / "bin" / "moto_server"
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: `make bench` installs moto[server] there")
    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)], env=env, stdout=log, stderr=log)
    wait_port(port, process)
    return Server("moto", f"http://127.0.0.1:{port}", process,
                  {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "testing"})


# ---------------------------------------------------------------- signing


def signed_raw(server, service, method, path, body=b"", headers=None):
    """One request signed by botocore, as the raw bytes a client sends."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = dict(headers or {})
    if service == "s3":
        headers.setdefault("x-amz-content-sha256", __import__("hashlib").sha256(body).hexdigest())
    request = AWSRequest(method=method, url=server.url + path, data=body, headers=headers)
    auth = S3SigV4Auth if service == "s3" else SigV4Auth
    credentials = Credentials(server.key["access_key_id"], server.key["secret_access_key"])
    auth(credentials, service, REGION).add_auth(request)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {server.host}", "User-Agent: iamlab-bench/1 (wrk replay)"]
    for name, value in request.headers.items():
        if name.lower() not in ("host", "content-length"):
            lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def query_request(server, service, action, version, **params):
    from urllib.parse import urlencode

    body = urlencode({"Action": action, "Version": version, **params}).encode()
    return signed_raw(server, service, "POST", "/", body, {"Content-Type": FORM})


IAM, STS = "2010-05-08", "2011-06-15"


def write_records(path, records):
    with open(path, "wb") as f:
        for record in records:
            f.write(str(len(record)).encode() + b"\n" + record)


def send_once(server, raw):
    """Send one raw request; (status, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(raw.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


# ---------------------------------------------------------------- rows


class Row:
    """One throughput row: ``records(server, label, count)`` makes signed requests."""

    def __init__(self, key, title, records, idempotent=True, prepare=None, fresh_account=False):
        self.key, self.title, self.records, self.idempotent, self.prepare = key, title, records, idempotent, prepare
        self.fresh_account = fresh_account


USERS_PER_ACCOUNT = 4000  # under iamlab's (and AWS's) quota of 5,000 users per account


def row_records(row, server, label, count):
    """``count`` signed requests of ``row``; a row that needs fresh accounts signs each
    run of ``USERS_PER_ACCOUNT`` requests as the root user of a new one, so that no
    request is refused for the quota (a cheap LimitExceeded would inflate req/s)."""
    if not row.fresh_account:
        return row.records(server, label, count)
    records = []
    for part, start in enumerate(range(0, count, USERS_PER_ACCOUNT)):
        size = min(USERS_PER_ACCOUNT, count - start)
        records += row.records(server.signer(fresh_account=True), f"{label}a{part}", size)
    return records


def _sts(server, label, count):
    return [query_request(server, "sts", "GetCallerIdentity", STS)]


def _list_users(server, label, count):
    return [query_request(server, "iam", "ListUsers", IAM)]


def _create_user(server, label, count):
    return [query_request(server, "iam", "CreateUser", IAM, UserName=f"b-{label}-{i}") for i in range(count)]


def _list_buckets(server, label, count):
    return [signed_raw(server, "s3", "GET", "/")]


PAYLOAD = os.urandom(1024)


def _put_object(server, label, count):
    return [
        signed_raw(server, "s3", "PUT", f"/bench-objects/o-{label}-{i}", PAYLOAD,
                   {"Content-Type": "application/octet-stream"})
        for i in range(min(count, 2000))
    ]


def _prepare_users(server):
    for i in range(50):
        status, body = send_once(server, query_request(server, "iam", "CreateUser", IAM, UserName=f"listed-{i:02d}"))
        if status != 200 and b"EntityAlreadyExists" not in body:
            raise SystemExit(f"{server.name}: CreateUser listed-{i}: {status} {body[:300]!r}")


def _prepare_buckets(server):
    for name in ("bench-a", "bench-b", "bench-c", "bench-objects"):
        status, body = send_once(server, signed_raw(server, "s3", "PUT", f"/{name}"))
        if status != 200 and b"BucketAlready" not in body:
            raise SystemExit(f"{server.name}: CreateBucket {name}: {status} {body[:300]!r}")


ROWS = [
    Row("sts", "sts GetCallerIdentity", _sts),
    Row("listusers", "iam ListUsers (50 users)", _list_users, prepare=_prepare_users),
    Row("createuser", "iam CreateUser", _create_user, idempotent=False, fresh_account=True),
    Row("listbuckets", "s3 ListBuckets", _list_buckets, prepare=_prepare_buckets),
    Row("putobject", "s3 PutObject 1 KiB", _put_object, prepare=_prepare_buckets),
]


def not_implemented(status, body):
    # Not served (yet): AWS's NotImplemented / MethodNotAllowed, or iamlab's answer for an
    # operation its registry does not have.
    return status in (405, 501) or any(
        code in body for code in (b"<Code>NotImplemented<", b"<Code>MethodNotAllowed<", b"<Code>InvalidAction<")
    )


def wrk(server, records_file, connections, seconds):
    threads = min(connections, 2)
    env = {**os.environ, "REPLAY_FILE": str(records_file), "REPLAY_THREADS": str(threads)}
    before = cpu_seconds(server.process.pid)
    # Each worker's CPU too: 4 long-lived connections may land 2:2, 3:1 or 4:0 on 2 workers.
    server_workers = workers(server.process.pid)
    before_each = [cpu_seconds(w) for w in server_workers]
    machine_before = machine_cpu_ticks()
    client = subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(BENCH / "replay.lua"), server.url + "/"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Which worker holds each of wrk's connections, once it has opened them all.
    time.sleep(min(0.5, seconds / 4))
    held = connections_by_worker(server_workers, server.port) if len(server_workers) > 1 else []
    stdout, stderr = client.communicate()
    if client.returncode:
        raise subprocess.CalledProcessError(client.returncode, client.args, stdout, stderr)
    cpu = cpu_seconds(server.process.pid) - before
    stolen = stolen_percent(machine_before, machine_cpu_ticks())
    each = [cpu_seconds(w) - b for w, b in zip(server_workers, before_each)]
    result = json.loads(stdout.strip().splitlines()[-1])
    n = result["requests"]
    return {
        # Ordered alike: the worker with the most connections first.
        "split": ":".join(f"{100 * c / sum(each):.0f}" for _, c in sorted(zip(held, each), reverse=True))
        if len(each) > 1 and sum(each) and len(held) == len(each) else None,
        "connections": ":".join(str(c) for c in sorted(held, reverse=True)) if held else None,
        "rps": n / result["seconds"],
        "p50": result["p50_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "errors": result["non2xx"] + result["socket_errors"],
        "cpu": cpu / n * 1000 if n else None,
        "n": n,
        "stolen": stolen,
    }


def best(results):
    """The best of repeated runs (noise only ever makes a run slower)."""
    return {
        **{k: max(results, key=lambda r: r["rps"])[k] for k in ("split", "connections", "stolen")},
        "rps": max(r["rps"] for r in results),
        "p50": min(r["p50"] for r in results),
        "p99": min(r["p99"] for r in results),
        "errors": max(r["errors"] for r in results),
        "cpu": min(r["cpu"] for r in results),
        "n": sum(r["n"] for r in results),
    }


def throughput(servers, rows, options, work):
    results = {}
    for row in rows:
        available = {}
        for server in servers:
            if row.prepare:
                row.prepare(server)
            probe = row.records(server, "probe", 1)[0]
            status, body = send_once(server, probe)
            if not_implemented(status, body):
                available[server.name] = "n/a"
            elif not 200 <= status < 300:
                available[server.name] = f"n/a ({status})"
                print(f"  {server.name} {row.title}: probe answered {status}: {body[:200]!r}", file=sys.stderr)
            else:
                available[server.name] = None
        for connections in CONCURRENCY:
            runs = {s.name: [] for s in servers}
            for round_ in range(options.rounds):
                order = servers if round_ % 2 == 0 else servers[::-1]
                for server in order:
                    if available[server.name]:
                        continue
                    label = f"{server.name[0]}{connections}r{round_}"
                    # Distinct requests for more than either server answers in the time:
                    # each of wrk's 2 threads sends every other record, and the thread whose
                    # connections share a worker with fewer others sends more than half
                    # (at 3,500 CreateUsers a second, 3,000 a second of records sent some twice).
                    count = 1 if row.idempotent else options.seconds * DISTINCT_PER_SECOND + 500
                    records = row_records(row, server, label, count)
                    path = work / f"{row.key}-{label}.req"
                    write_records(path, records)
                    if row.idempotent:
                        wrk(server, path, connections, 1)  # warm every worker and connection
                    runs[server.name].append(wrk(server, path, connections, options.seconds))
                    path.unlink()
            for server in servers:
                key = (row.key, connections, server.name)
                results[key] = available[server.name] or best(runs[server.name])
                shown = results[key]
                if isinstance(shown, dict):
                    shown = (f"{shown['rps']:.0f} req/s p50 {shown['p50']:.2f} p99 {shown['p99']:.2f} ms "
                             f"cpu {shown['cpu']:.3f} ms/req errors {shown['errors']}"
                             + (f" stolen {shown['stolen']:.1f}%" if shown["stolen"] is not None else "")
                             + (f" workers' connections {shown['connections']}, CPU {shown['split']}"
                                if shown["split"] else ""))
                print(f"  {row.title} x{connections} {server.name}: {shown}", file=sys.stderr)
    return results


# ---------------------------------------------------------------- boto3 latency


def _boto3_loop(args):
    url, key, seconds = args
    import boto3

    client = boto3.client("sts", endpoint_url=url, region_name=REGION, aws_access_key_id=key["access_key_id"],
                          aws_secret_access_key=key["secret_access_key"])
    client.get_caller_identity()
    latencies = []
    deadline = time.perf_counter() + seconds
    while (start := time.perf_counter()) < deadline:
        client.get_caller_identity()
        latencies.append(time.perf_counter() - start)
    return latencies


def boto3_latency(servers, options):
    results = {}
    ctx = get_context("spawn")
    with ctx.Pool(4) as pool:
        for processes in (1, 4):
            for round_ in range(options.rounds):
                order = servers if round_ % 2 == 0 else servers[::-1]
                for server in order:
                    lists = pool.map(_boto3_loop, [(server.url, server.key, options.seconds)] * processes)
                    latencies = sorted(x for lst in lists for x in lst)
                    p50 = statistics.median(latencies) * 1000
                    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
                    previous = results.get((processes, server.name))
                    if previous is None or p50 < previous[0]:
                        results[(processes, server.name)] = (p50, p99, len(latencies) / options.seconds)
            for server in servers:
                p50, p99, rate = results[(processes, server.name)]
                print(f"  boto3 x{processes} {server.name}: p50 {p50:.2f} p99 {p99:.2f} ms ({rate:.0f} calls/s)",
                      file=sys.stderr)
    return results


# ---------------------------------------------------------------- other rows


def policy_eval():
    out = subprocess.run([PYTHON, str(BENCH / "policy_eval.py")], capture_output=True, text=True, check=True, cwd=ROOT)
    rows = []
    for line in out.stdout.splitlines():
        if "median" not in line:
            continue
        # "<scenario> <decision> median <us> us   p95 <us> us"
        name = line.split(" median")[0].rsplit(None, 1)[0].strip()
        median = float(line.split("median")[1].split("us")[0])
        p95 = float(line.split("p95")[1].split("us")[0])
        rows.append((name, median, p95))
    return rows


def run_lookup_events(servers):
    """bench/lookup_events.py (LookupEvents at 1M events, Event history page), written
    separately, runs when present: it makes its own scratch instance. Its table lines
    (``<case> <rows> <p50 ms> <p95 ms>``) become rows; a line ``ROW {"name": ..., "iamlab":
    ..., "moto": ..., "unit": ...}`` is taken as it is; other lines go to RESULTS.md."""
    script = BENCH / "lookup_events.py"
    if not script.exists():
        return [], ""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "IAMLAB_VAR_DIR")}
    out = subprocess.run([PYTHON, str(script)], env=env, capture_output=True, text=True, cwd=ROOT)
    rows, notes, in_table = [], [], False
    for line in out.stdout.splitlines():
        if line.startswith("ROW "):
            rows.append(json.loads(line[4:]))
            continue
        if line.split()[:1] == ["case"] and "p95" in line:
            in_table = True
            continue
        parts = line.rsplit(None, 3)
        if in_table and len(parts) == 4:
            try:
                p50, p95 = float(parts[2]), float(parts[3])
            except ValueError:
                notes.append(line)
                continue
            rows.append({"name": f"{parts[0]} ({parts[1]} rows): p50 / p95 ms", "iamlab": f"{p50:.1f} / {p95:.1f}",
                         "moto": None})
        else:
            notes.append(line)
    if out.returncode:
        notes.append(f"(bench/lookup_events.py exited with {out.returncode}: {out.stderr.strip()[-500:]})")
    return rows, "\n".join(notes).strip()


def _boto3_s3(server):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=server.url, region_name=REGION,
                        aws_access_key_id=server.key["access_key_id"],
                        aws_secret_access_key=server.key["secret_access_key"],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                      read_timeout=300))


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.02)


def memory(server, size=200 * 1024 * 1024):
    """Peak RSS of the server's process tree while a 200 MiB object goes up (one PUT,
    streamed from a file) and comes back (streamed to nowhere)."""
    client = _boto3_s3(server)
    with tempfile.NamedTemporaryFile() as f:
        chunk = os.urandom(1024 * 1024)
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.flush()
        idle = rss_bytes(server.process.pid)
        sampler = Sampler(server.process.pid)
        sampler.start()
        try:
            f.seek(0)
            client.put_object(Bucket="bench-objects", Key="big", Body=f, ContentLength=size)
            up = sampler.peak
            sampler.peak = 0
            body = client.get_object(Bucket="bench-objects", Key="big")["Body"]
            received = 0
            while data := body.read(1024 * 1024):
                received += len(data)
            down = sampler.peak
        finally:
            sampler.stop.set()
            sampler.join()
    if received != size:
        raise RuntimeError(f"downloaded {received} bytes of {size}")
    return idle, up, down


# ---------------------------------------------------------------- report


def versions():
    found = {"python": platform.python_version()}
    for module in ("django", "granian", "botocore", "boto3"):
        out = subprocess.run([PYTHON, "-c", f"import {module}; print({module}.__version__)"],
                             capture_output=True, text=True)
        found[module] = out.stdout.strip() or "?"
    moto_python = MOTO_VENV / "bin" / "python"
    out = subprocess.run([str(moto_python), "-c", "import moto; print(moto.__version__)"], capture_output=True,
                         text=True) if moto_python.exists() else None
    found["moto"] = out.stdout.strip() if out and out.returncode == 0 else "?"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    found["wrk"] = (wrk_version.stdout or wrk_version.stderr).split()[1] if wrk_version.stdout or wrk_version.stderr else "?"
    return found


def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB memory, Linux {platform.release()}"


def ratio(iamlab, moto, higher_is_better):
    if not isinstance(iamlab, (int, float)) or not isinstance(moto, (int, float)) or not iamlab or not moto:
        return ""
    value = iamlab / moto if higher_is_better else moto / iamlab
    return f"{value:.1f}×"


def fmt(value, digits=2):
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def build_table(rows, through, boto, policy, lookup_rows, mem):
    out = [("benchmark", "iamlab", "moto", "iamlab vs moto")]

    def cell(result, field, digits=2):
        if isinstance(result, dict):
            return result[field]
        return result

    for row in rows:
        for connections in CONCURRENCY:
            i = through.get((row.key, connections, "iamlab"))
            m = through.get((row.key, connections, "moto"))
            name = f"{row.title}, {connections} conn"
            out.append((f"{name}: req/s", fmt(cell(i, "rps"), 0), fmt(cell(m, "rps"), 0),
                        ratio(cell(i, "rps"), cell(m, "rps"), True)))
            p = lambda r: r if not isinstance(r, dict) else f"{r['p50']:.2f} / {r['p99']:.2f}"  # noqa: E731
            out.append((f"{name}: p50 / p99 ms", fmt(p(i)), fmt(p(m)), ratio(cell(i, "p50"), cell(m, "p50"), False)))
            out.append((f"{name}: server CPU ms/req", fmt(cell(i, "cpu"), 3), fmt(cell(m, "cpu"), 3),
                        ratio(cell(i, "cpu"), cell(m, "cpu"), False)))
            out.append((f"{name}: errors", fmt(cell(i, "errors")), fmt(cell(m, "errors")), ""))
            out.append((f"{name}: CPU time stolen by the hypervisor %", fmt(cell(i, "stolen"), 1),
                        fmt(cell(m, "stolen"), 1), ""))
            if connections > 1 and isinstance(i, dict) and i["split"]:
                out.append((f"{name}: workers' connections, CPU %", f"{i['connections']}, {i['split']}",
                            "one process", ""))
    for processes in (1, 4):
        i, m = boto.get((processes, "iamlab")), boto.get((processes, "moto"))
        text = lambda r: "—" if r is None else f"{r[0]:.2f} / {r[1]:.2f}"  # noqa: E731
        out.append((f"boto3 get_caller_identity, {processes} process{'es' if processes > 1 else ''}: p50 / p99 ms",
                    text(i), text(m), ratio(i and i[0], m and m[0], False)))
    for name, median, p95 in policy:
        out.append((f"policy evaluation, {name}: median / p95 µs", f"{median:.2f} / {p95:.2f}", "n/a", ""))
    for r in lookup_rows:
        unit = f" {r['unit']}" if r.get("unit") else ""
        out.append((f"{r['name']}{unit}", fmt(r.get("iamlab")), fmt(r.get("moto")) if r.get("moto") is not None
                    else "n/a", ratio(r.get("iamlab"), r.get("moto"), r.get("higher_is_better", False))))
    if not lookup_rows:
        out.append(("LookupEvents at 1M events; console pages", "not run", "n/a", ""))
    for phase, index in (("upload", 1), ("download", 2)):
        i, m = mem.get("iamlab"), mem.get("moto")
        value = lambda r: r if isinstance(r, str) else f"{r[index] / 2**20:.0f} (idle {r[0] / 2**20:.0f})"  # noqa
        out.append((f"server RSS MiB during 200 MiB S3 {phase}", value(i) if i else "n/a", value(m) if m else "n/a",
                    ratio(m[index] if isinstance(m, tuple) else None, i[index] if isinstance(i, tuple) else None,
                          True) if i and m else ""))
    return table(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=4, help="seconds per throughput measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating repetitions per row (best kept)")
    parser.add_argument("--rows", default=",".join(r.key for r in ROWS))
    parser.add_argument("--servers", default="iamlab,moto")
    parser.add_argument("--skip", default="", help="comma-separated: boto3,policy,lookup,memory")
    parser.add_argument("--server-args", default=os.environ.get("SERVER_ARGS") or DEFAULT_SERVER_ARGS,
                        help="python -m console.serve's arguments after --bind (default: make run's)")
    parser.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="'' to write none")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk (`make bench` does)")
    skip = set(filter(None, options.skip.split(",")))
    wanted = options.rows.split(",")
    rows = [r for r in ROWS if r.key in wanted]
    names = options.servers.split(",")
    work = Path(tempfile.mkdtemp(prefix="iamlab-bench-work-"))
    log = open(work / "servers.log", "wb")
    servers = []
    started = datetime.now(timezone.utc)
    try:
        if "iamlab" in names:
            servers.append(start_iamlab(options.server_args, log))
        if "moto" in names:
            servers.append(start_moto(log))
        print(f"servers: {', '.join(f'{s.name} {s.url}' for s in servers)}; console.serve {options.server_args}",
              file=sys.stderr)
        through = throughput(servers, rows, options, work)
        boto = {} if "boto3" in skip else boto3_latency(servers, options)
        policy = [] if "policy" in skip else policy_eval()
        lookup_rows, lookup_notes = ([], "") if "lookup" in skip else run_lookup_events(servers)
        mem = {}
        if "memory" not in skip:
            for server in servers:
                put = through.get(("putobject", 1, server.name))
                if put is None:  # the PutObject row did not run: ask the server once
                    _prepare_buckets(server)
                    status, body = send_once(server, _put_object(server, "memprobe", 1)[0])
                    put = None if 200 <= status < 300 else "n/a"
                if isinstance(put, str):
                    mem[server.name] = "n/a"
                    continue
                try:
                    mem[server.name] = memory(server)
                except Exception as error:  # an answer, not a crash: the row says why
                    mem[server.name] = f"n/a ({type(error).__name__})"
                    print(f"  memory {server.name}: {error}", file=sys.stderr)
    finally:
        for server in servers:
            server.stop()
        log.close()
    text = build_table(rows, through, boto, policy, lookup_rows, mem)
    print(text)
    if lookup_notes:
        print(lookup_notes)
    if options.results:
        v = versions()
        header = (
            "# iamlab and moto, side by side\n\n"
            f"Measured {started.strftime('%Y-%m-%d %H:%M UTC')} by `make bench` (bench/run.py).\n\n"
            f"- Machine: {machine()}\n"
            f"- Versions: Python {v['python']}, Django {v['django']}, granian {v['granian']}, "
            f"botocore {v['botocore']}, boto3 {v['boto3']}, moto {v['moto']} (`moto_server`), wrk {v['wrk']}\n"
            f"- iamlab: `python -m console.serve {options.server_args}` (granian"
            f"{'' if '--share-cpus' in options.server_args else ', each worker kept on a CPU of its own'}), "
            "production settings, "
            "SQLite (WAL) in a fresh IAMLAB_VAR_DIR, root access key; moto: `moto_server` on loopback\n"
            f"- Throughput: {options.seconds:g} s per run, {options.rounds} run(s) per server alternating iamlab "
            "and moto, best run kept; requests signed once by botocore and replayed by wrk "
            "(CreateUser: every request a distinct pre-signed name); server CPU is utime + stime of the "
            "server's process tree per request; errors are responses with status >= 400 plus socket errors; "
            "CPU time stolen is the share of the whole machine's CPU time during the kept run that the "
            "hypervisor gave to others (`steal` in /proc/stat)\n"
            "- Ratios say how many times better iamlab does: its req/s over moto's, moto's time or CPU "
            "over iamlab's\n\n"
        )
        Path(options.results).write_text(header + text + "\n" + (f"\n{lookup_notes}\n" if lookup_notes else ""))
        print(f"\nwritten to {options.results}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    for server in servers:
        if server.var:
            shutil.rmtree(server.var, ignore_errors=True)


if __name__ == "__main__":
    main()
