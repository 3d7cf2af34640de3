"""End-to-end fixtures: a live server, the real ``aws`` CLI from this venv with its own
config files, and boto3 clients pointed at the server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AWS = str(Path(sys.executable).parent / "aws")  # the venv's CLI, never another on PATH
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def alice_account(transactional_db, alice_account):
    return alice_account  # committed, so the live server's thread sees it


class CLI:
    def __init__(self, endpoint, home):
        self.endpoint = endpoint
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(
            HOME=str(home),
            AWS_CONFIG_FILE=str(home / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
            AWS_DEFAULT_REGION="eu-west-1",
            AWS_PAGER="",
        )

    def run(self, *args, profile=None, env=None):
        command = [AWS, "--endpoint-url", self.endpoint, "--output", "json", *args]
        if profile:
            command += ["--profile", profile]
        result = subprocess.run(
            command, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=120
        )
        return result

    def ok(self, *args, **kwargs):
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    def fails(self, *args, **kwargs):
        result = self.run(*args, **kwargs)
        assert result.returncode != 0, result.stdout
        return result.stderr.strip()

    def configure(self, profile, key_id, secret):
        for name, value in (("aws_access_key_id", key_id), ("aws_secret_access_key", secret)):
            subprocess.run(
                [AWS, "configure", "set", name, value, "--profile", profile],
                env=self.env, check=True, capture_output=True, timeout=60,
            )


@pytest.fixture
def cli(live_server, tmp_path):
    return CLI(live_server.url, tmp_path)


@pytest.fixture
def boto3_client(live_server):
    import boto3

    def make(service, key_id, secret, token=None):
        return boto3.client(
            service,
            endpoint_url=live_server.url,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )

    return make
