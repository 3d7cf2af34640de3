"""WAL checkpoints after the writers' lock is released, not while it is held.

SQLite copies the WAL back into the database (a checkpoint) inside the COMMIT that takes
the WAL past 1,000 pages, so one write transaction in about 40 CreateUsers took 4 ms
instead of 0.1 ms, and every other writer waited for it in the queue on the writers'
lock (console/sqlite/base.py). Django's connections here leave that to a last resort
(``AUTOCHECKPOINT_PAGES``); each process counts its write transactions and every
``EVERY`` of them wakes its checkpointer thread, which checkpoints on a connection of its
own, twice. The first copies the bulk beside the readers and the writers, waiting for
none of them. But SQLite starts the WAL over only when a writer begins with every frame
copied, which writers that keep committing during the copy never see (the WAL grew to
480 MB in 4,700 CreateUsers, and each write cost a third more). So the second takes the
writers' lock and copies the few frames they added meanwhile: the next writer starts the
WAL over. The copies and their fsyncs release the GIL."""

import fcntl
import logging
import os
import sqlite3
import threading

logger = logging.getLogger(__name__)

# Write transactions of one process between its checkpoints: a CreateUser with its event
# is about 15 pages, so this is about the 1,000 pages of SQLite's own default.
EVERY = 64

# SQLite's own checkpoint still bounds the WAL (40 MB) if writes come faster than this
# thread copies them, or outside Django's transactions, which the count does not see.
AUTOCHECKPOINT_PAGES = 10_000


def open_writers_lock(path):
    """The file whose flock every write transaction on the database at ``path`` holds."""
    return os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)


def checkpoint(connection, path):
    """Copy the WAL into the database so that the next writer starts it over."""
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    writers = open_writers_lock(path)
    try:
        fcntl.flock(writers, fcntl.LOCK_EX)
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        os.close(writers)  # releases the flock too


class Checkpointer:
    def __init__(self, path):
        self.path = path
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._commits = 0
        self._requested = 0
        self._done = 0
        self._thread = None

    def committed(self):
        """One write transaction committed (and its lock released) in this process."""
        if self._pid != os.getpid():
            # A forked child inherits the count but not the thread.
            self.__init__(self.path)
        with self._cond:
            self._commits += 1
            if self._commits < EVERY:
                return
            self._commits = 0
            self._requested += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait(self, timeout=10.0):
        """Until every checkpoint asked for so far has run; False if that took too long."""
        with self._cond:
            return self._cond.wait_for(lambda: self._done >= self._requested, timeout)

    def _run(self):
        connection = None
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._done < self._requested)
                target = self._requested
            try:
                if connection is None:
                    connection = sqlite3.connect(self.path, check_same_thread=False)
                checkpoint(connection, self.path)
            except (sqlite3.Error, OSError) as error:
                # The next one copies what this one could not; the WAL only grows meanwhile.
                logger.warning("WAL checkpoint of the database failed (%s)", error)
                if connection is not None:
                    connection.close()
                    connection = None
            with self._cond:
                self._done = target
                self._cond.notify_all()


_checkpointers = {}
_lock = threading.Lock()


def checkpointer(path):
    """The one checkpointer of the database at ``path`` in this process."""
    with _lock:
        found = _checkpointers.get(path)
        if found is None:
            found = _checkpointers[path] = Checkpointer(path)
        return found
