"""Django's SQLite backend, with writers queued by the kernel instead of SQLite's busy
handler.

SQLite has one write lock per database. A writer that finds it taken sleeps in SQLite's
busy handler for 1, 2, 5, 10 ... up to 100 ms between tries, while writers that arrive
later may take the lock first: under a class's concurrent CreateUser calls, p99 reached
230 ms for calls that hold the lock for about a millisecond. Here every write
transaction first takes an exclusive flock on ``<database>-writers``: a waiting writer
sleeps in the kernel and wakes the moment the lock is released, in any thread of any
process. The lock is held from BEGIN to COMMIT or ROLLBACK (or the connection's close).
WAL checkpoints run after it is released (console/sqlite/checkpoint.py).

A transaction begins (takes the lock and runs BEGIN IMMEDIATE) at its first statement,
not where ``atomic`` is entered: what an action works out before it touches the
database (validation, new IDs, its rows' values) then runs while other writers write.
Nothing is read or written between the two points, so nothing else changes."""

import fcntl
import os

from django.db.backends.sqlite3 import base

from console.sqlite.checkpoint import AUTOCHECKPOINT_PAGES, checkpointer, open_writers_lock


class DatabaseWrapper(base.DatabaseWrapper):
    _writers_fd = None
    _holding = False
    _begin_pending = False

    def _lock_writers(self):
        if self.is_in_memory_db():
            return
        if self._writers_fd is None:
            self._writers_fd = open_writers_lock(self.settings_dict["NAME"])
        fcntl.flock(self._writers_fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        self._holding = True

    def _unlock_writers(self):
        if self._holding:
            self._holding = False
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self._begin_pending = True

    def validate_no_broken_transaction(self):
        # Every statement passes here first, through Django's cursors and iam/rows.py's.
        super().validate_no_broken_transaction()
        if self._begin_pending:
            self._begin()

    def _begin(self):
        self._begin_pending = False
        self._lock_writers()
        try:
            # Not one of the queries a test counts: where the transaction begins now
            # depends on which statement comes first.
            with self.wrap_database_errors:
                self.connection.execute(f"BEGIN {self.transaction_mode or ''}")
        except BaseException:
            self._unlock_writers()
            raise

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            connection.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        return connection

    def _commit(self):
        self._begin_pending = False
        wrote = self._holding
        try:
            super()._commit()
        finally:
            self._unlock_writers()
        if wrote:
            checkpointer(self.settings_dict["NAME"]).committed()

    def _rollback(self):
        self._begin_pending = False
        try:
            return super()._rollback()
        finally:
            self._unlock_writers()

    def _close(self):
        self._begin_pending = False
        try:
            return super()._close()
        finally:
            self._unlock_writers()
            if self._writers_fd is not None:
                os.close(self._writers_fd)
                self._writers_fd = None
