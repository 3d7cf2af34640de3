"""The production server as `make run` starts it (`python -m console.serve`: granian, two
worker processes of two threads) in its own var dir, driven with the real aws CLI: STS,
a multipart S3 upload and download, IAM and CloudTrail, and the console's sign-in page;
then SIGTERM."""

import argparse
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console import serve
from tests.e2e.conftest import CLI

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# Variables a WSGI server must never pass on as parts of a request (console/serve.py):
# were they to leak, every console page would be an API call (X-Amz-Target), every
# signature would cover the wrong path (RAW_URI) and the user would be "mallory".
LEAKY = {
    "HTTP_PROXY": "http://proxy.invalid:3128",
    "HTTP_X_AMZ_TARGET": "CloudTrail_20131101.LookupEvents",
    "RAW_URI": "/somewhere-else",
    "REMOTE_USER": "mallory",
    "CONTENT_LENGTH": "17",
}


def test_clean_environ_removes_what_only_a_request_may_set():
    environ = {**LEAKY, "HTTP_HOST": "evil", "QUERY_STRING": "a=1", "HTTPS": "on", "wsgi.input": "x",
               "PATH": "/usr/bin", "HOME": "/root", "HTTPS_PROXY": "http://proxy.invalid:3128",
               "IAMLAB_VAR_DIR": "/srv/var", "DATABASE_URL": "postgres://db/iamlab"}
    serve.clean_environ(environ)
    assert environ == {"PATH": "/usr/bin", "HOME": "/root", "HTTPS_PROXY": "http://proxy.invalid:3128",
                       "IAMLAB_VAR_DIR": "/srv/var", "DATABASE_URL": "postgres://db/iamlab"}


@pytest.mark.parametrize("value, expected", [
    ("127.0.0.1:8000", ("127.0.0.1", 8000)),
    ("0.0.0.0:80", ("0.0.0.0", 80)),
    ("[::1]:8443", ("::1", 8443)),
])
def test_bind_takes_host_and_port(value, expected):
    assert serve.address(value) == expected


@pytest.mark.parametrize("value", ["8000", ":8000", "localhost:", "localhost:http", "localhost:0", "h:65536"])
def test_a_bad_bind_is_an_argparse_error(value):
    with pytest.raises(argparse.ArgumentTypeError):
        serve.address(value)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_env():
    return {}


@pytest.fixture
def server_args():
    return []


def server_environ():
    """This process's environment without what would point the server at the tests'
    database or settings."""
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")}


@pytest.fixture
def instance(tmp_path, server_env, server_args):
    """A fresh var dir with a root access key, and the server started on it as `make run`
    does, with LEAKY (and ``server_env``) in its environment: (url, createaccount's JSON,
    process)."""
    env = server_environ()
    env.update(LEAKY, IAMLAB_VAR_DIR=str(tmp_path / "var"), **server_env)
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True, timeout=300)
    out = subprocess.run(
        [*manage, "createaccount", "--email", "prod@example.com", "--password", "Prod-Check-Passw0rd!",
         "--root-access-key", "--json"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120,
    )
    facts = json.loads(out.stdout)
    port = free_port()
    with open(tmp_path / "server.log", "wb") as log:
        process = subprocess.Popen(
            [PYTHON, "-m", "console.serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2",
             *server_args],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server does not listen after 30 s"
                time.sleep(0.1)
        # The first worker up answers while the other may still be importing Django; a
        # worker stopped before it has started is killed only after granian's 30 s
        # grace, so a test that stops the server waits for both.
        workers_started = int(server_args[server_args.index("--workers") + 1]) if "--workers" in server_args else 2
        while (tmp_path / "server.log").read_text().count("Started worker-") < workers_started:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the workers have not all started after 30 s"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", facts, process
    finally:
        # A failed test leaves it running: stop it, and its workers with it.
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_a_worker_puts_what_start_up_made_out_of_the_collectors_sight():
    # console/wsgi.py: a full collection would otherwise walk every module, class and
    # service model again, stopping the worker's requests for tens of milliseconds.
    probe = (
        "import gc, json, console.wsgi\n"
        "from awsapi.protocol.common import service_model\n"
        "walked = gc.get_objects()\n"
        "models = [service_model(s) for s in ('iam', 's3', 'sts', 'cloudtrail')]\n"
        "print(json.dumps([gc.get_freeze_count(), len(walked), [any(o is m for o in walked) for m in models]]))\n"
    )

    def run(**env):
        out = subprocess.run([PYTHON, "-c", probe], env={**server_environ(), **env}, cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.splitlines()[-1])

    # As console.serve starts its workers.
    frozen, walked, models_walked = run(IAMLAB_SERVING="1")
    assert frozen > 50_000 and walked < frozen / 20
    assert models_walked == [False] * 4  # loaded at start-up, and frozen with it
    # A process that only imports the app (a test run, runserver) freezes nothing.
    frozen, _, _ = run()
    assert frozen == 0


def get(url, path):
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_make_runs_server_answers_the_cli_and_the_console(instance, tmp_path):
    url, facts, process = instance
    cli = CLI(url, tmp_path)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        cli.env.pop(name, None)  # the CLI talks to the server directly
    cli.configure("root", facts["access_key_id"], facts["secret_access_key"])

    identity = cli.ok("sts", "get-caller-identity", profile="root")
    assert identity["Arn"] == f"arn:aws:iam::{facts['account_id']}:root"

    made = cli.run("s3", "mb", "s3://prod-check", profile="root")
    assert made.returncode == 0 and "make_bucket: prod-check" in made.stdout, made.stderr
    original = tmp_path / "nine-mib.bin"
    original.write_bytes(os.urandom(9 * 1024 * 1024))  # above the CLI's 8 MiB multipart threshold
    up = cli.run("s3", "cp", str(original), "s3://prod-check/dir/nine-mib.bin", profile="root")
    assert up.returncode == 0, up.stderr
    parts = cli.ok("s3api", "head-object", "--bucket", "prod-check", "--key", "dir/nine-mib.bin", profile="root")
    assert parts["ContentLength"] == 9 * 1024 * 1024 and parts["ETag"].endswith('-2"')  # two parts
    copy = tmp_path / "copy.bin"
    down = cli.run("s3", "cp", "s3://prod-check/dir/nine-mib.bin", str(copy), profile="root")
    assert down.returncode == 0, down.stderr
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()

    created = cli.ok("iam", "create-user", "--user-name", "x", profile="root")
    assert created["User"]["Arn"] == f"arn:aws:iam::{facts['account_id']}:user/x"
    deadline = time.monotonic() + 3
    while True:
        events = cli.ok("cloudtrail", "lookup-events", "--lookup-attributes",
                        "AttributeKey=EventName,AttributeValue=CreateUser", profile="root")["Events"]
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [(e["EventName"], e["Username"]) for e in events] == [("CreateUser", "root")]

    status, headers, body = get(url, "/")
    if status == 302:
        status, headers, body = get(url, headers["location"])
    assert status == 200, body[:500]
    assert headers["content-type"].startswith("text/html")
    assert b"<html" in body.lower()

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail("the server did not exit within 10 s of SIGTERM")
    log = (tmp_path / "server.log").read_text()
    assert process.returncode == 0, log
    assert "Traceback" not in log


@pytest.mark.parametrize("server_args", [["--workers", "1"]])
@pytest.mark.parametrize("expect", [False, True], ids=["body-read-ahead", "expect-100-continue"])
def test_a_client_slow_to_send_its_body_holds_up_no_other_request(instance, expect):
    # One worker of two threads (console/serve.py): the slow client's request waits for its
    # body on one of them, the other serves everyone else; with or without the client
    # waiting for 100 Continue, sent at the application's first read.
    import boto3
    from botocore.config import Config

    url, facts, process = instance
    host, port = url.removeprefix("http://").split(":")
    slow = socket.create_connection((host, int(port)), timeout=30)
    try:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 47\r\n"
                     + (b"Expect: 100-continue\r\n" if expect else b"") + b"\r\n")
        if expect:
            assert slow.recv(65536).startswith(b"HTTP/1.1 100 Continue")
        slow.sendall(b"Action=GetCallerIdentity")
        time.sleep(0.5)  # its thread waits for the rest by now
        sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id=facts["access_key_id"],
                           aws_secret_access_key=facts["secret_access_key"],
                           config=Config(retries={"max_attempts": 1}, read_timeout=20, connect_timeout=5))
        for _ in range(3):
            assert sts.get_caller_identity()["Account"] == facts["account_id"]
        # The slow request is still waiting; the rest of its body gets it answered (an
        # unsigned GetCallerIdentity is refused, as by AWS).
        slow.sendall(b"&Version=2011-06-15&X=1")
        answer = slow.recv(65536)
        assert answer.startswith(b"HTTP/1.1 403") and b"MissingAuthenticationToken" in answer, answer[:300]
    finally:
        slow.close()


def ctrl_c(process):
    # The terminal sends SIGINT to every process of its foreground group; the fixture
    # started the server as the leader of a group of its own.
    os.killpg(process.pid, signal.SIGINT)


@pytest.mark.parametrize("server_env", [{"IAMLAB_TRAIL_WRITE_BEHIND_SECONDS": "60"}])
@pytest.mark.parametrize("stop", [lambda process: process.send_signal(signal.SIGTERM), ctrl_c],
                         ids=["sigterm", "ctrl-c"])
def test_the_events_a_worker_has_queued_are_written_when_it_stops(instance, tmp_path, stop):
    # Written behind the answer (trail/writer.py), and here a minute behind: only the
    # workers' exit writes them.
    import sqlite3

    import boto3

    url, facts, process = instance
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=facts["access_key_id"],
                       aws_secret_access_key=facts["secret_access_key"])
    for _ in range(20):
        sts.get_caller_identity()
    database = tmp_path / "var" / "iamlab.sqlite3"

    def recorded():
        with sqlite3.connect(database) as db:
            return db.execute("SELECT COUNT(*) FROM trail_event WHERE event_name = 'GetCallerIdentity'").fetchone()[0]

    assert recorded() == 0
    started = time.monotonic()
    stop(process)
    process.wait(25)
    log = (tmp_path / "server.log").read_text()
    # Each worker stops when told, not when granian kills it after 30 s.
    assert time.monotonic() - started < 10 and "refused to gracefully stop" not in log, log
    assert process.returncode == 0 and "Traceback" not in log, log
    assert recorded() == 20


def children(server):
    """The child processes of the server process ``server``: (pid, command line) each."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == server:
                found.append((int(entry.name), (entry / "cmdline").read_bytes().split(b"\0")))
        except OSError:  # gone meanwhile
            pass
    return sorted(found)


def workers(server):
    """The worker processes of the server process ``server``."""
    return [pid for pid, command in children(server) if b"delivertrails" not in command]


def deliverers(server):
    """The processes the server process ``server`` runs to deliver trails and seal events."""
    return [pid for pid, command in children(server) if b"delivertrails" in command]


def _each(names, read):
    """``read(name)`` for each name still there when it is read: a running server opens
    and closes files and ends threads between the listing and the read."""
    found = []
    for name in names:
        try:
            found.append(read(name))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def cpus(pid):
    """The CPUs each thread of process ``pid`` may run on, as one set per thread."""
    return _each(os.listdir(f"/proc/{pid}/task"), lambda tid: frozenset(os.sched_getaffinity(int(tid))))


def claim(pid):
    """The CPU claim (console/affinity.py) worker ``pid`` holds open: its file."""
    targets = _each(os.listdir(f"/proc/{pid}/fd"), lambda fd: os.readlink(f"/proc/{pid}/fd/{fd}"))
    (held,) = [target for target in targets if "iamlab-cpus-" in target]
    return Path(held)


two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs")


@two_cpus
def test_each_worker_runs_on_a_cpu_of_its_own_and_a_respawned_one_takes_the_cpu_freed(instance, tmp_path):
    url, facts, process = instance
    first, second = workers(process.pid)
    # Every thread of a worker (request threads, granian's, the trail's) on one CPU.
    assert len(set(cpus(first))) == 1 and len(next(iter(set(cpus(first))))) == 1
    assert len(set(cpus(second))) == 1 and len(next(iter(set(cpus(second))))) == 1
    freed, kept = cpus(first)[0], cpus(second)[0]
    assert freed != kept
    assert claim(first).name == f"cpu{min(freed)}.0" and claim(second).name == f"cpu{min(kept)}.0"

    os.kill(first, signal.SIGKILL)  # granian starts another in its place
    deadline = time.monotonic() + 30
    while (respawned := [pid for pid in workers(process.pid) if pid != second]) in ([], [first]):
        assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
        time.sleep(0.1)
    while (tmp_path / "server.log").read_text().count("Started worker-") < 3:
        assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
        time.sleep(0.1)
    assert set(cpus(respawned[0])) == {freed}
    assert claim(respawned[0]).name == f"cpu{min(freed)}.0"
    assert set(cpus(second)) == {kept}
    status, _, _ = get(url, "/")
    assert status in (200, 302)

    claims = claim(second).parent
    process.send_signal(signal.SIGTERM)
    process.wait(15)
    assert process.returncode == 0, (tmp_path / "server.log").read_text()
    assert not claims.exists()  # the serving process removes it when it stops


@two_cpus
@pytest.mark.parametrize("server_args", [["--share-cpus"]])
def test_share_cpus_leaves_the_workers_on_every_cpu(instance):
    url, facts, process = instance
    everywhere = frozenset(os.sched_getaffinity(process.pid))
    for worker in workers(process.pid):
        assert set(cpus(worker)) == {everywhere}


@pytest.mark.parametrize("server_env", [{"IAMLAB_EVENT_SEAL_SECONDS": "1"}])
def test_a_process_beside_the_workers_seals_the_event_store_and_another_takes_over_when_it_dies(instance, tmp_path):
    # Not a thread of a worker: sealing is pure Python and would hold the GIL its
    # request threads need (console/serve.py, Deliveries).
    import sqlite3

    import boto3

    url, facts, process = instance
    deadline = time.monotonic() + 30
    while not (found := deliverers(process.pid)):
        assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
        time.sleep(0.1)
    (first,) = found
    assert set(cpus(first)) == {frozenset(os.sched_getaffinity(process.pid))}  # on no worker's CPU
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=facts["access_key_id"],
                       aws_secret_access_key=facts["secret_access_key"])
    database = tmp_path / "var" / "iamlab.sqlite3"

    def sealed_and_recorded():
        with sqlite3.connect(database) as db:
            sealed = db.execute("SELECT COALESCE(MAX(last_event), 0) FROM trail_eventseal").fetchone()[0]
            recorded = db.execute("SELECT COALESCE(MAX(id), 0) FROM trail_event").fetchone()[0]
        return sealed, recorded

    os.kill(first, signal.SIGKILL)
    while (found := deliverers(process.pid)) in ([], [first]):
        assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
        time.sleep(0.1)
    (second,) = found
    for _ in range(5):
        sts.get_caller_identity()
    # Sealed once settled (trail.delivery.SETTLE, 10 s) by the process started in the
    # killed one's place.
    deadline = time.monotonic() + 40
    while (counts := sealed_and_recorded())[0] < counts[1] or counts[1] < 5:
        assert time.monotonic() < deadline, (counts, (tmp_path / "server.log").read_text())
        time.sleep(0.5)
    assert deliverers(process.pid) == [second]
    verified = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "validatelogs", "--event-store"],
        env={**server_environ(), "IAMLAB_VAR_DIR": str(tmp_path / "var")}, cwd=ROOT, capture_output=True, text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr

    process.send_signal(signal.SIGTERM)
    process.wait(15)
    assert process.returncode == 0, (tmp_path / "server.log").read_text()
    assert not Path(f"/proc/{second}").exists()  # stopped with the server, not left behind
