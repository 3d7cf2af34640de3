"""Write-behind for the events of calls that change nothing.

An event INSERT costs more than the rest of a read-only call (7 indexes, one commit of
its own, and on SQLite the database's one write lock, which concurrent writers wait
for by sleeping): a GetCallerIdentity spent 0.2 of its 0.68 ms there. Events of calls
whose change must commit together with their event (a CreateUser and its event) are
still written in the call's transaction, but enter LookupEvents' attribute indexes and
get their resource rows here, after the commit (trail/record.py's ``_index_pending``),
with those of the other writes of at most ``TRAIL_LOOKUP_INDEX_SECONDS``; the events of
every other call go to this process's writer thread, which writes what has gathered in
one transaction at most ``TRAIL_WRITE_BEHIND_SECONDS`` later.

What that trades: CloudTrail itself shows an event minutes after the call; here it is
milliseconds, and LookupEvents and the event history flush this process's queue first,
so a caller sees its own calls at once, and a lookup by an attribute enters every
write's event still pending, whichever process committed it. A process killed outright
(SIGKILL, power) loses the events of its last few milliseconds, as SQLite in WAL mode
with synchronous=NORMAL may lose its last commits on power loss; a process that exits
(SIGTERM, SIGINT, the end of a test run) writes them first."""

import logging
import os
import threading
import time
from contextlib import contextmanager
from multiprocessing import util as mp_util

from django.conf import settings
from django.db import DatabaseError, OperationalError, close_old_connections, transaction

logger = logging.getLogger(__name__)

# An event is a few hundred bytes; a batch this big is written at once, whatever the time.
MAX_BATCH = 500


def enabled():
    return settings.TRAIL_WRITE_BEHIND_SECONDS > 0


def _follow_up_seconds():
    return max(settings.TRAIL_WRITE_BEHIND_SECONDS, settings.TRAIL_LOOKUP_INDEX_SECONDS)


class Writer:
    """``save_many(batch)`` writes a batch of queued events, at most
    ``TRAIL_WRITE_BEHIND_SECONDS`` after the first was queued; ``follow_up()``, when asked
    for (``request_follow_up``), runs once (however often it was asked) in the transaction
    of the first batch written at least ``TRAIL_LOOKUP_INDEX_SECONDS`` after it was first
    asked for, or of any batch a ``flush`` waits for."""

    def __init__(self, save_many, follow_up=None):
        self._save_many = save_many
        self._follow_up = follow_up
        self._reset()

    def _reset(self):
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._pending = []
        self._follow_up_asked = False
        self._follow_up_requests = 0  # counted in _submitted, answered by the follow-up
        self._batch_due = self._follow_up_due = 0.0
        self._submitted = 0
        self._written = 0
        self._flushers = 0
        self._thread = None

    def submit(self, values):
        """Queue one event (``_save``'s keyword arguments)."""
        with self._queue():
            self._pending.append(values)
            if len(self._pending) == 1:
                # The first event starts the writer's wait for more; a full batch ends it.
                self._batch_due = time.monotonic() + settings.TRAIL_WRITE_BEHIND_SECONDS
                self._cond.notify_all()
            elif len(self._pending) >= MAX_BATCH:
                self._cond.notify_all()

    def request_follow_up(self, more=False):
        """Run ``follow_up`` with the next batch at least ``TRAIL_LOOKUP_INDEX_SECONDS``
        from now (once, however often it is asked); ``more``: the follow-up left work for
        the next, which goes as a batch does. ``flush`` waits for it too."""
        with self._queue():
            self._follow_up_requests += 1
            due = time.monotonic() + (settings.TRAIL_WRITE_BEHIND_SECONDS if more else _follow_up_seconds())
            if not self._follow_up_asked or due < self._follow_up_due:
                self._follow_up_asked = True
                self._follow_up_due = due
                self._cond.notify_all()

    @contextmanager
    def _queue(self):
        """Holding the queue's lock, one more request counted."""
        if self._pid != os.getpid():
            # A forked child inherits the parent's queue but not its thread.
            self._reset()
        with self._cond:
            if self._thread is None:
                self._start()
            self._submitted += 1
            yield

    def flush(self, timeout=30.0):
        """Wait until every event queued so far is written; False if that took too long."""
        if self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            self._flushers += 1
            try:
                self._cond.notify_all()
                while self._written < target:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
            finally:
                self._flushers -= 1
        return True

    def _start(self):
        self._thread = threading.Thread(target=self._run, name="trail-writer", daemon=True)
        self._thread.start()
        # Runs when the process exits normally, including a server's worker process
        # (multiprocessing's own exit path skips plain atexit handlers).
        mp_util.Finalize(self, Writer.flush, args=(self,), exitpriority=100)

    def _run(self):
        while True:
            with self._cond:
                self._wait_for_work()
                batch, self._pending = self._pending, []
                # Every request counted in _submitted is answered by this one run, but
                # the follow-up's when it waits for the next.
                taken = self._submitted - self._written
                follow_up = self._follow_up_asked and (self._flushers or time.monotonic() >= self._follow_up_due)
                if follow_up:
                    self._follow_up_asked, self._follow_up_requests = False, 0
                else:
                    taken -= self._follow_up_requests
            self._write(batch, follow_up)
            with self._cond:
                self._written += taken
                self._cond.notify_all()

    def _wait_for_work(self):
        """Holding the queue's lock, wait until a flush waits, a batch is full, or the
        batch or the follow-up is due: the events and follow-ups asked for meanwhile join
        the same transaction."""
        while True:
            due = [when for when, waiting in ((self._batch_due, self._pending),
                                              (self._follow_up_due, self._follow_up_asked)) if waiting]
            if not due:  # nothing to write, whoever waits
                self._cond.wait()
                continue
            if self._flushers or len(self._pending) >= MAX_BATCH:
                return
            left = min(due) - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    def _write(self, batch, follow_up=False):
        delay = 0.05
        while True:
            close_old_connections()
            try:
                with transaction.atomic():
                    self._save_many(batch)
                    if follow_up:
                        self._follow_up()
                return
            except OperationalError as error:
                # The database is busy or gone for a moment: the events wait for it,
                # they are not dropped. The error's text names no event data.
                logger.warning("writing %d trail events failed (%s); retrying", len(batch), error)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except DatabaseError:
                self._write_each(batch)
                if follow_up:
                    self._follow_up_alone()
                return

    def _write_each(self, batch):
        """A batch that one bad event refuses: every other event is still written."""
        for values in batch:
            try:
                with transaction.atomic():
                    self._save_many([values])
            except DatabaseError:
                logger.exception("trail event %s (%s) could not be written", values.get("event_id"),
                                 values.get("event_name"))

    def _follow_up_alone(self):
        try:
            with transaction.atomic():
                self._follow_up()
        except DatabaseError:
            logger.exception("the trail writer's follow-up failed; the next one tries again")
