import json
import os
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from iam.models import Account

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createaccount_prints_json_with_the_given_id_and_alias():
    out = run("createaccount", "--email", "Teacher@Example.com", "--password", "Class-Room-2026!",
              "--account-id", "123456789012", "--alias", "class-a", "--json")
    assert json.loads(out) == {"account_id": "123456789012", "alias": "class-a", "root_email": "teacher@example.com"}
    account = Account.objects.get(account_id="123456789012")
    assert account.root_password.startswith("argon2") and "Class-Room-2026!" not in account.root_password


def test_createaccount_picks_a_random_twelve_digit_id():
    out = run("createaccount", "--email", "t@example.com", "--password", "Class-Room-2026!", "--json")
    account_id = json.loads(out)["account_id"]
    assert len(account_id) == 12 and account_id.isdigit()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--email", "dup@example.com", "--password", "Class-Room-2026!"], "already exists"),
        (["--email", "x@example.com", "--password", "weak"], "The password is too weak"),
        (["--email", "x@example.com", "--password", "Class-Room-2026!", "--alias", "Bad_Alias"], "validation error"),
        (["--email", "x@example.com", "--password", "Class-Room-2026!", "--alias", "taken-alias"], "already exists"),
        (["--email", "x@example.com", "--password", "Class-Room-2026!", "--account-id", "12345"], "12 digits"),
        (["--email", "not-an-email", "--password", "Class-Room-2026!"], "not a valid email address"),
    ],
)
def test_createaccount_errors_exit_non_zero_with_a_clear_message(args, message):
    run("createaccount", "--email", "DUP@example.com", "--password", "Class-Room-2026!", "--alias", "taken-alias")
    with pytest.raises(CommandError, match=message):
        run("createaccount", *args)
    assert Account.objects.count() == 1


def test_createaccount_command_line_exits_with_status_one(tmp_path):
    import subprocess
    import sys

    env = dict(os.environ, IAMLAB_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "createaccount", "--email", "x@example.com", "--password", "weak"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "The password is too weak" in result.stderr
    assert "Traceback" not in result.stderr


def test_demoaccount_prints_credentials_once_and_saves_them_privately(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = run("demoaccount", "--url", "http://127.0.0.1:8000")
    saved = json.loads((tmp_path / "demo-account.json").read_text())
    assert saved["root_password"] in first
    assert "http://127.0.0.1:8000/signin" in first
    assert stat.S_IMODE(os.stat(tmp_path / "demo-account.json").st_mode) == 0o600
    account = Account.objects.get(account_id=saved["account_id"])
    assert account.root_email == saved["root_email"]
    second = run("demoaccount")
    assert saved["root_password"] not in second
    assert saved["account_id"] in second
    assert Account.objects.count() == 1


def test_createaccount_root_access_key_prints_a_working_key():
    from iam.models import AccessKey

    out = run("createaccount", "--email", "k@example.com", "--password", "Class-Room-2026!", "--root-access-key", "--json")
    facts = json.loads(out)
    key = AccessKey.objects.get(access_key_id=facts["access_key_id"])
    assert key.user is None and key.status == "Active"
    assert key.secret_access_key() == facts["secret_access_key"]
    assert facts["secret_access_key"] not in key.secret_encrypted
