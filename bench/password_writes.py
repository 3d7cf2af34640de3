"""Writes while a user changes their console password (iam/hashing.py).

Starts iamlab as `make bench` does (bench/run.py), sets a password policy that keeps
the last 5 passwords, and while one IAM user calls ChangePassword in a loop with boto3
(each call: the old password's check, 5 reuse checks and a hash, Argon2 at about 0.1 s
each), replays signed CreateUser requests over one connection with wrk: requests/s and
p50/p99. Before hashing moved out of the transaction, every ChangePassword held SQLite's
write lock for its whole Argon2 work and CreateUser waited for it.

    .venv/bin/python bench/password_writes.py [--seconds 8]
"""

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

import run  # noqa: E402


def client(server, key):
    return boto3.client("iam", endpoint_url=server.url, region_name=run.REGION,
                        config=Config(retries={"max_attempts": 1}),
                        aws_access_key_id=key["access_key_id"], aws_secret_access_key=key["secret_access_key"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--server-args", default=run.DEFAULT_SERVER_ARGS)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamlab-bench-pw-"))
    with open(work / "server.log", "wb") as log:
        server = run.start_iamlab(options.server_args, log)
        try:
            root = client(server, server.key)
            root.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=5,
                                                AllowUsersToChangePassword=True)
            root.create_user(UserName="changer")
            password = "Changer-0-Passw0rd!"
            root.create_login_profile(UserName="changer", Password=password)
            created = root.create_access_key(UserName="changer")["AccessKey"]
            changer = client(server, {"access_key_id": created["AccessKeyId"],
                                      "secret_access_key": created["SecretAccessKey"]})
            stop, durations, passwords = threading.Event(), [], iter(range(1, 10**6))

            def change():
                nonlocal password
                new = f"Changer-{next(passwords)}-Passw0rd!"
                started = time.perf_counter()
                changer.change_password(OldPassword=password, NewPassword=new)
                durations.append(time.perf_counter() - started)
                password = new

            for _ in range(5):  # a full history for the reuse checks
                change()
            durations.clear()

            def loop():
                while not stop.is_set():
                    change()

            row = next(r for r in run.ROWS if r.key == "createuser")
            path = work / "createuser.req"
            run.write_records(path, row.records(server.signer(True), "pw", options.seconds * 3000))
            thread = threading.Thread(target=loop)
            thread.start()
            result = run.wrk(server, path, 1, options.seconds)
            stop.set()
            thread.join()
            durations.sort()
            print(f"CreateUser, 1 connection, while ChangePassword runs in a loop: {result['rps']:.0f} req/s, "
                  f"p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms, errors {result['errors']}; "
                  f"{len(durations)} ChangePassword calls, median {durations[len(durations) // 2] * 1000:.0f} ms")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
