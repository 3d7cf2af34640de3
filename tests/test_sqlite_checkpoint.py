"""console/sqlite/checkpoint.py: the WAL is copied into the database by each process's
checkpointer thread every ``EVERY`` write transactions, after the writers' lock is
released, not by SQLite inside the COMMIT of whichever writer crossed 1,000 pages; and
the WAL starts over after each copy instead of growing."""

import logging
import os
import shutil
import sqlite3

import pytest
from django.db import connection, transaction

from console.sqlite import checkpoint

pytestmark = pytest.mark.django_db(transaction=True)

BLOB = 40_000  # bytes per write: ten pages, so the WAL and the database visibly grow


@pytest.fixture(autouse=True)
def scratch(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's WAL")
    # A checkpointer of its own for each test, counting from zero.
    monkeypatch.setattr(checkpoint, "_checkpointers", {})
    monkeypatch.setattr(checkpoint, "EVERY", 4)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE scratch (b BLOB)")
    db = sqlite3.connect(path())
    checkpoint.checkpoint(db, path())  # the new table into the database file itself
    db.close()
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE scratch")


def path():
    return connection.settings_dict["NAME"]


def write():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO scratch (b) VALUES (randomblob(%s))", [BLOB])


def the_checkpointer():
    return checkpoint.checkpointer(path())


def rows_in_the_database_file(tmp_path):
    """What a reader sees of the database file alone, without the WAL beside it."""
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(path(), copy)
    db = sqlite3.connect(copy)
    try:
        return db.execute("SELECT COUNT(*) FROM scratch").fetchone()[0]
    finally:
        db.close()


def test_sqlite_checkpoints_only_as_a_last_resort():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == checkpoint.AUTOCHECKPOINT_PAGES == 10_000


def test_every_fourth_commit_copies_the_wal_into_the_database(tmp_path):
    for _ in range(3):
        write()
    assert the_checkpointer().wait()
    assert rows_in_the_database_file(tmp_path) == 0  # three writes, all still only in the WAL
    write()
    assert the_checkpointer().wait()
    assert rows_in_the_database_file(tmp_path) == 4


def test_the_wal_starts_over_after_each_checkpoint():
    # The WAL file keeps the largest size it ever had (the test database's setup).
    before = os.path.getsize(f"{path()}-wal")
    for _ in range(100):
        write()
        assert the_checkpointer().wait()
    # 4 MB written; without starting over, the WAL would have grown to hold all of it.
    assert os.path.getsize(f"{path()}-wal") <= max(before, 5 * (BLOB + 2 * 4096))


def test_a_failed_checkpoint_is_logged_and_the_next_one_runs(monkeypatch, caplog, tmp_path):
    real = checkpoint.checkpoint
    failures = []

    def fail_once(db, db_path):
        if not failures:
            failures.append(db_path)
            raise sqlite3.OperationalError("disk I/O error")
        return real(db, db_path)

    monkeypatch.setattr(checkpoint, "checkpoint", fail_once)
    with caplog.at_level(logging.WARNING, logger="console.sqlite.checkpoint"):
        for _ in range(4):
            write()
        assert the_checkpointer().wait()
    assert "WAL checkpoint of the database failed (disk I/O error)" in caplog.text
    assert rows_in_the_database_file(tmp_path) == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM scratch")
        assert cursor.fetchone()[0] == 4  # the writes committed all the same
    for _ in range(4):
        write()
    assert the_checkpointer().wait()
    assert rows_in_the_database_file(tmp_path) == 8  # the next one copied both rounds


def test_a_forked_child_counts_from_zero_with_a_thread_of_its_own(monkeypatch):
    found = the_checkpointer()
    for _ in range(3):
        write()
    monkeypatch.setattr(found, "_pid", -1)  # as if this process were the fork's child
    write()
    assert found._pid == os.getpid()
    assert found._commits == 1 and found._requested == 0


def test_frames_the_first_copy_left_are_copied_under_the_lock_so_the_wal_starts_over():
    db = sqlite3.connect(path())
    reader = sqlite3.connect(path(), isolation_level=None)
    calls = []

    class Fetched(list):
        def fetchall(self):
            return self

    class ReaderEndsAfterTheFirstCopy:
        def execute(self, sql):
            calls.append(sql)
            result = Fetched(db.execute(sql).fetchall())
            if len(calls) == 1:
                reader.execute("COMMIT")
            return result

    for _ in range(4):
        write()
    assert the_checkpointer().wait()  # this test's checkpoints only from here on
    # A reader's snapshot stops the first copy short of the frames committed after it,
    # as a worker's commit during the copy does.
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM scratch").fetchall()
    write()
    checkpoint.checkpoint(ReaderEndsAfterTheFirstCopy(), path())
    write()  # the first writer after a complete copy starts the WAL over
    busy, frames_in_wal, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    db.close()
    reader.close()
    assert busy == 0 and frames_in_wal < 2 * BLOB // 4096  # this one write, not all six
    assert calls == ["PRAGMA wal_checkpoint(PASSIVE)"] * 2
