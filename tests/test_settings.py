import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from console.settings import database_from_url

ROOT = Path(__file__).resolve().parent.parent


def test_postgres_url_is_parsed():
    db = database_from_url("postgres://postgres:p%40ss@127.0.0.1:5432/iamlab")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "iamlab", "postgres", "p@ss", "127.0.0.1", "5432")
    assert db["CONN_MAX_AGE"] > 0


def test_sqlite_url_uses_wal_and_immediate_transactions():
    db = database_from_url("sqlite:////tmp/x.sqlite3")
    assert db["NAME"] == "/tmp/x.sqlite3"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert "synchronous=NORMAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_unknown_database_scheme_is_refused():
    with pytest.raises(ValueError, match="not supported"):
        database_from_url("mysql://root@localhost/x")


def settings_in_subprocess(var_dir, code, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "IAMLAB_ENCRYPTION_KEY", "DATABASE_URL")}
    environment.update(IAMLAB_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="console.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; " + code],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=True,
    ).stdout.strip()


def test_fresh_var_dir_gets_its_own_keys_and_database(tmp_path):
    code = "print(settings.SECRET_KEY, settings.IAMLAB_ENCRYPTION_KEY, settings.DATABASES['default']['NAME'])"
    first = settings_in_subprocess(tmp_path, code).split()
    again = settings_in_subprocess(tmp_path, code).split()
    other = settings_in_subprocess(tmp_path / "other", code).split()
    assert first == again  # generated once, then read back
    assert first[0] != other[0] and first[1] != other[1]
    assert first[2] == str(tmp_path / "iamlab.sqlite3")
    for name in ("secret-key", "encryption-key"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600


def test_the_var_dir_is_the_servers_alone(tmp_path):
    settings_in_subprocess(tmp_path / "new", "")
    earlier = tmp_path / "earlier"
    earlier.mkdir(mode=0o755)
    earlier.chmod(0o755)
    settings_in_subprocess(earlier, "")
    for made in (tmp_path / "new", earlier):
        assert stat.S_IMODE(os.stat(made).st_mode) == 0o700


def test_a_var_dir_the_server_may_not_change_is_left_with_a_warning(tmp_path, monkeypatch):
    from console.settings import private_directory

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)

    def not_the_owner(path, mode):
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(Path, "chmod", not_the_owner)
    with pytest.warns(UserWarning, match="open to other local users"):
        private_directory(shared)
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o755


def test_keys_from_the_environment_win_and_nothing_is_written(tmp_path):
    out = settings_in_subprocess(
        tmp_path, "print(settings.SECRET_KEY)", SECRET_KEY="from-env-key", IAMLAB_ENCRYPTION_KEY="k" * 43
    )
    assert out == "from-env-key"
    assert not (tmp_path / "secret-key").exists()


def test_debug_is_off_by_default_and_hosts_come_from_the_environment(tmp_path):
    out = settings_in_subprocess(tmp_path, "print(settings.DEBUG, settings.ALLOWED_HOSTS)", ALLOWED_HOSTS="a.example,b.example")
    assert out == "False ['a.example', 'b.example']"
