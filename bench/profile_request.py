"""Where the server CPU of one signed API request goes, without a network in between.

Sets up a fresh var dir (production settings, SQLite WAL), creates an account with a
root access key, signs one request with botocore and calls the WSGI application
(console.wsgi, as the server's workers do) in a loop; prints the CPU time per request,
and with --profile the cProfile of the loop. Set IAMLAB_TRAIL_WRITE_BEHIND_SECONDS=0.005
to measure as the server runs (events written behind the answer, by a thread whose CPU
counts too).

    .venv/bin/python bench/profile_request.py [--action sts] [--n 5000] [--profile] [--sort tottime]
        [--breakdown] [--frames] [--lock] [--pool 2] [--data-trail]

--lock shows what runs while a write transaction holds the database's write lock (the
flock of console/sqlite/base.py), step by step: under load every other writer waits
that long. --pool 2 takes the requests in turn on two threads, as a worker's two
threads do in the server: each transaction then finds its connection's page cache
emptied by the other's commit (SQLite starts it over whenever another connection
wrote), as it does there.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACTIONS = {
    "sts": ("sts", b"Action=GetCallerIdentity&Version=2011-06-15"),
    "listusers": ("iam", b"Action=ListUsers&Version=2010-05-08"),
    "listbuckets": ("s3", None),
    "createuser": ("iam", b"Action=CreateUser&Version=2010-05-08&UserName=u-{n}"),
    # PUT /bench-objects/o-{n} with a 1 KiB body, as bench/run.py's PutObject row.
    "putobject": ("s3", os.urandom(1024)),
}
BUCKET = "bench-objects"


def prepare(var):
    env = {**os.environ, "IAMLAB_VAR_DIR": var}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(manage + ["migrate", "-v0"], env=env, check=True, cwd=ROOT)
    out = subprocess.run(
        manage + ["createaccount", "--email", "bench@example.com", "--password", "Bench-Passw0rd!",
                  "--root-access-key", "--json"],
        env=env, check=True, capture_output=True, text=True, cwd=ROOT,
    )
    return json.loads(out.stdout)


def signed_environ(key, service, body, host="127.0.0.1:8000", path=None):
    """A function making the WSGI environ of the signed request; a body with ``{n}``
    is signed afresh with a new number on each call (CreateUser's distinct names), as is
    an S3 PUT of an object (a new key each time)."""
    if service == "s3" and body is not None and path is None:
        prefix = os.urandom(4).hex()
        makers = [signed_environ(key, service, body, host, f"/{BUCKET}/o-{prefix}-{i}") for i in range(FRESH_REQUESTS)]
        makers.reverse()

        def fresh():
            return makers.pop()()

        return fresh
    if body is not None and b"{n}" in body:
        # Signed beforehand, so that signing is not measured.
        prefix = os.urandom(4).hex()
        makers = [
            signed_environ(key, service, body.replace(b"{n}", f"{prefix}-{i}".encode()), host)
            for i in range(FRESH_REQUESTS)
        ]
        makers.reverse()

        def fresh():
            return makers.pop()()

        return fresh

    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    credentials = Credentials(key["access_key_id"], key["secret_access_key"])
    if body is None:  # s3 ListBuckets
        request = AWSRequest(method="GET", url=f"http://{host}/", headers={})
        S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
        method, body, path = "GET", b"", "/"
    elif service == "s3":  # PutObject (or CreateBucket, with an empty body)
        request = AWSRequest(method="PUT", url=f"http://{host}{path}", data=body,
                             headers={"Content-Type": "application/octet-stream"})
        S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
        method = "PUT"
    else:
        request = AWSRequest(method="POST", url=f"http://{host}/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(credentials, service, "us-east-1").add_auth(request)
        method, path = "POST", "/"
    headers = dict(request.headers.items())

    def environ():
        env = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "RAW_URI": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "HTTP_HOST": host, "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in headers.items():
            name = name.upper().replace("-", "_")
            if name == "CONTENT_TYPE":
                env["CONTENT_TYPE"] = value
            elif name != "CONTENT_LENGTH":
                env["HTTP_" + name] = value
        return env

    return environ


def iam_user_key(var):
    """An access key of IAM user ``reader``: IAMReadOnlyAccess attached to the user, one
    inline policy, and a group with a policy of its own, as a class would set it up."""
    path = Path(var) / "bench-user-key.json"
    if path.exists():
        return json.loads(path.read_text())
    from awsapi.context import RequestContext
    from awsapi.dispatch import dispatch
    from iam.models import Account
    from iam.principals import root_principal

    account = Account.objects.get(account_id=json.loads((Path(var) / "bench-key.json").read_text())["account_id"])
    root = RequestContext(principal=root_principal(account), source_ip="127.0.0.1", via_console=False)
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iam:DeleteAccountPasswordPolicy", "Resource": "*"}]})
    dispatch(root, "iam:CreateUser", {"UserName": "reader"})
    dispatch(root, "iam:AttachUserPolicy", {"UserName": "reader",
                                            "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"})
    dispatch(root, "iam:PutUserPolicy", {"UserName": "reader", "PolicyName": "NoPolicyDelete", "PolicyDocument": deny})
    dispatch(root, "iam:CreateGroup", {"GroupName": "readers"})
    dispatch(root, "iam:PutGroupPolicy", {"GroupName": "readers", "PolicyName": "NoPolicyDelete", "PolicyDocument": deny})
    dispatch(root, "iam:AddUserToGroup", {"GroupName": "readers", "UserName": "reader"})
    created = dispatch(root, "iam:CreateAccessKey", {"UserName": "reader"})["AccessKey"]
    key = {"access_key_id": created["AccessKeyId"], "secret_access_key": created["SecretAccessKey"]}
    path.write_text(json.dumps(key))
    return key


def log_data_events(var):
    """A logging trail that selects the S3 data events of the bench bucket, so that each
    PutObject writes its event as it would on AWS with such a trail (without one there
    is no event at all)."""
    from awsapi.context import RequestContext
    from awsapi.dispatch import dispatch
    from iam.models import Account
    from iam.principals import root_principal
    from trail.models import Trail

    account = Account.objects.get(account_id=json.loads((Path(var) / "bench-key.json").read_text())["account_id"])
    if Trail.objects.filter(account=account, name="bench").exists():  # a --var prepared before
        return
    root = RequestContext(principal=root_principal(account), source_ip="127.0.0.1", via_console=False)
    logs = "bench-trail-logs"
    allow = {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}}
    policy = {"Version": "2012-10-17", "Statement": [
        {**allow, "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{logs}"},
        {**allow, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{logs}/AWSLogs/*"}]}
    dispatch(root, "s3:CreateBucket", {"Bucket": logs})
    dispatch(root, "s3:PutBucketPolicy", {"Bucket": logs, "Policy": json.dumps(policy)})
    dispatch(root, "cloudtrail:CreateTrail", {"Name": "bench", "S3BucketName": logs})
    dispatch(root, "cloudtrail:StartLogging", {"Name": "bench"})
    dispatch(root, "cloudtrail:PutEventSelectors", {"TrailName": "bench", "EventSelectors": [
        {"DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{BUCKET}/"]}]}]})


def count_wal_frames():
    """Count the WAL frames (pages) each write transaction appends, by thread; returns
    the counts: {thread: [transactions, frames]}. Read off the WAL index's header
    (mxFrame, in the -shm file): every page a write changes is one more frame, written,
    checksummed, read back after other connections' commits, and copied by a checkpoint."""
    import struct
    import threading
    from collections import defaultdict

    from console.sqlite import base

    counts = defaultdict(lambda: [0, 0])
    begin, commit = base.DatabaseWrapper._begin, base.DatabaseWrapper._commit

    def last_frame(connection):
        with open(connection.settings_dict["NAME"] + "-shm", "rb") as shm:
            return struct.unpack("=I", shm.read(20)[16:])[0]  # WalIndexHdr.mxFrame

    def counted_begin(self):
        begin(self)
        self._first_frame = last_frame(self)

    def counted_commit(self):
        wrote = self._holding
        commit(self)
        if wrote:
            frames = last_frame(self) - self._first_frame
            if frames >= 0:  # else a checkpoint started the WAL over meanwhile
                count = counts[threading.current_thread().name]
                count[0] += 1
                count[1] += frames

    base.DatabaseWrapper._begin, base.DatabaseWrapper._commit = counted_begin, counted_commit
    return counts


def lock_steps():
    """Time each step of the write transactions while they hold the write lock, by the
    thread's kind (the request's, the trail writer's); returns {(kind, step): [times,
    wall seconds, CPU seconds]}. A step is a statement (by its first words), the Python
    between two of them, BEGIN or COMMIT; "whole hold" is from the flock taken to its
    release."""
    import threading
    from collections import defaultdict

    from django.db.backends.base import base as django_base

    from console.sqlite import base
    from iam import rows

    steps = defaultdict(lambda: [0, 0.0, 0.0])
    local = threading.local()
    clock, cpu = time.perf_counter, time.thread_time

    def kind():
        return "trail writer" if threading.current_thread().name == "trail-writer" else "request"

    def mark(step):
        if getattr(local, "held", False):
            wall, spent = clock(), cpu()
            entry = steps[(kind(), step)]
            entry[0] += 1
            entry[1] += wall - local.wall
            entry[2] += spent - local.cpu
            local.wall, local.cpu = wall, spent

    def wrap(owner, name, before=None, after=None):
        original = getattr(owner, name)

        def wrapper(self, *args):
            if before:
                mark(before)
            result = original(self, *args)
            if after:
                mark(after(*args) if callable(after) else after)
            return result

        setattr(owner, name, wrapper)

    lock = base.DatabaseWrapper._lock_writers
    unlock = base.DatabaseWrapper._unlock_writers

    def locked(self):
        lock(self)
        local.held = True
        local.wall = local.start_wall = clock()
        local.cpu = local.start_cpu = cpu()

    def unlocked(self):
        if self._holding and getattr(local, "held", False):
            entry = steps[(kind(), "whole hold")]
            entry[0] += 1
            entry[1] += clock() - local.start_wall
            entry[2] += cpu() - local.start_cpu
            local.held = False
        unlock(self)

    base.DatabaseWrapper._lock_writers, base.DatabaseWrapper._unlock_writers = locked, unlocked
    wrap(base.DatabaseWrapper, "_begin", after="BEGIN")
    wrap(django_base.BaseDatabaseWrapper, "_commit", before="Python", after="COMMIT")

    def statement(sql, *_):
        return " ".join(sql.split()[:3])[:48]

    wrap(rows._SQLiteCursor, "execute", before="Python", after=statement)
    wrap(rows._SQLiteCursor, "executemany", before="Python", after=statement)
    return steps


def print_lock_steps(steps, n):
    print(f"{'thread':13} {'step while the write lock is held':48} {'times':>6} {'wall µs':>8} {'CPU µs':>8}"
          f" {'CPU µs/req':>10}")
    for (kind, step), (times, wall, spent) in sorted(steps.items(), key=lambda item: (item[0][0], -item[1][2])):
        print(f"{kind:13} {step:48} {times:6d} {wall / times * 1e6:8.1f} {spent / times * 1e6:8.1f}"
              f" {spent / n * 1e6:10.1f}")


FRESH_REQUESTS = 0  # set from --n: how many distinct requests a {n} body needs

PARTS = [
    # (module, attribute, label): each wrapped to add its CPU time to its label
    ("awsapi.middleware", "api", "whole API view"),
    ("awsapi.views", "_headers", "view: request.headers as a dict"),
    ("awsapi.sigv4", "parse_request_auth", "sigv4: parse credential"),
    ("awsapi.credentials", "resolve", "credentials: key lookup (SELECT) + decrypt"),
    ("awsapi.protocol", "parse_request", "protocol: parse body"),
    ("awsapi.sigv4", "verify", "sigv4: verify signature"),
    ("awsapi.views", "dispatch", "dispatch (authorize + operation + event)"),
    ("awsapi.dispatch", "authorize", "dispatch: authorize"),
    ("trail.record", "draft", "dispatch: draft event (before the transaction)"),
    ("trail.record", "data_event_logged", "dispatch: a trail selects the data event? (SELECT)"),
    ("trail.record", "api_call", "dispatch: record event (INSERT)"),
    ("awsapi.credentials", "record_use", "credentials: last used"),
    ("awsapi.protocol", "serialize_response", "protocol: serialize"),
    ("awsapi.views", "_response", "view: HttpResponse"),
]


def breakdown(once, n):
    import importlib
    from collections import defaultdict

    spent = defaultdict(float)
    # A part's CPU is its own thread's: the process's would count whatever the trail
    # writer thread did meanwhile (a GetCallerIdentity's draft: 49 µs, shown as 89–94).
    clock = time.thread_time

    def wrap(function, label):
        def wrapper(*args, **kwargs):
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += clock() - start

        return wrapper

    for module_name, attribute, label in PARTS:
        module = importlib.import_module(module_name)
        setattr(module, attribute, wrap(getattr(module, attribute), label))
    # The middleware captured ``api`` at import: rebuild the handler's chain.
    from console.wsgi import application

    application.load_middleware()
    for _ in range(100):
        once()
    spent.clear()
    start = time.process_time()
    for _ in range(n):
        once()
    total = time.process_time() - start
    print(f"{'part':50} {'ms/req':>8}")
    print(f"{'whole WSGI call, all threads (the writer too)':50} {total / n * 1000:8.3f}")
    for _, _, label in PARTS:
        print(f"{label:50} {spent[label] / n * 1000:8.3f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--action", choices=sorted(ACTIONS), default="sts")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--limit", type=int, default=45)
    parser.add_argument("--var", help="reuse this var dir (already prepared)")
    parser.add_argument("--breakdown", action="store_true", help="CPU per part of the request path")
    parser.add_argument("--patch", help="a Python file run once Django is set up: try a change without editing the tree")
    parser.add_argument("--as-user", action="store_true",
                        help="sign as IAM user 'reader' (IAMReadOnlyAccess, in a group) instead of the root user")
    parser.add_argument("--pool", type=int, default=0,
                        help="take the requests in turn on this many threads, as a worker's threads do")
    parser.add_argument("--lock", action="store_true",
                        help="each step while a write transaction holds the write lock, its wall and CPU time")
    parser.add_argument("--frames", action="store_true",
                        help="WAL frames (pages written) per write transaction and per request, by thread")
    parser.add_argument("--data-trail", action="store_true",
                        help="putobject: with a trail that logs the bucket's data events (each call then writes one)")
    parser.add_argument("--gc", choices=("on", "off", "freeze"), default="on",
                        help="Python's cyclic GC as is, disabled, or with the loaded objects frozen")
    options = parser.parse_args()
    var = options.var or tempfile.mkdtemp(prefix="iamlab-profile-")
    key_file = Path(var) / "bench-key.json"
    if key_file.exists():
        key = json.loads(key_file.read_text())
    else:
        key = prepare(var)
        key_file.write_text(json.dumps(key))
    os.environ["IAMLAB_VAR_DIR"] = var
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "console.settings"
    from console.wsgi import application

    if options.as_user:
        key = iam_user_key(var)
    if options.patch:
        exec(compile(Path(options.patch).read_text(), options.patch, "exec"), {"__name__": "bench_patch"})
    service, body = ACTIONS[options.action]
    global FRESH_REQUESTS
    FRESH_REQUESTS = options.n * 3 + 400
    make = signed_environ(key, service, body)
    if options.action == "putobject":
        create = signed_environ(key, "s3", b"", path=f"/{BUCKET}")()
        b"".join(application(create, lambda status, headers, exc_info=None: None))
        if options.data_trail:
            log_data_events(var)

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"unexpected {status}")

    def once():
        result = application(make(), start_response)
        b"".join(result)
        if hasattr(result, "close"):  # as a WSGI server does
            result.close()

    if options.pool:
        import itertools
        from concurrent.futures import ThreadPoolExecutor

        # One executor a thread: a pool of several would hand every request to the one
        # thread that is idle (the requests come one by one), never to the others.
        turns = itertools.cycle([ThreadPoolExecutor(1) for _ in range(options.pool)])
        direct = once

        def once():
            next(turns).submit(direct).result()

    for _ in range(200):
        once()
    import gc

    if options.gc == "off":
        gc.disable()
    elif options.gc == "freeze":
        gc.freeze()
    if options.breakdown:
        breakdown(once, options.n)
        return
    if options.lock:
        from trail.record import flush

        steps = lock_steps()
        for _ in range(options.n):
            once()
        flush()
        print_lock_steps(steps, options.n)
        return
    if options.frames:
        from trail.record import flush

        counts = count_wal_frames()
        for _ in range(options.n):
            once()
        flush()
        for thread, (transactions, frames) in sorted(counts.items()):
            print(f"{thread}: {transactions} write transactions, {frames / max(transactions, 1):.1f} frames each,"
                  f" {frames / options.n:.1f} a request")
        return
    if options.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(options.n):
            once()
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats(options.sort).print_stats(options.limit)
        return
    best = None
    for _ in range(3):
        started = time.process_time()
        for _ in range(options.n):
            once()
        per = (time.process_time() - started) / options.n * 1000
        best = per if best is None else min(best, per)
    print(f"{options.action}: {best:.3f} ms CPU per request (best of 3 x {options.n}), var {var}")


if __name__ == "__main__":
    main()
