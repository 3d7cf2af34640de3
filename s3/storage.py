"""Where object bytes are kept: a small object's in its own row (``inline``), any other
in a file under the var dir, ``s3/blobs/<2 hex>/<32 hex>`` (``blob``).

A blob is written to ``s3/tmp`` and renamed into place only when it is complete and
verified, so a broken upload leaves nothing behind; once in place a blob never changes
(CopyObject shares it through a hard link), and it is removed only after the transaction
that stopped pointing at it has committed."""

import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

READ_SIZE = 256 * 1024


def _root():
    # Strings, not pathlib: an upload joins three paths, and pathlib cost more than the
    # system calls they name.
    return os.path.join(settings.VAR_DIR, "s3")


def _blob_file(name):
    return os.path.join(_root(), "blobs", name[:2], name)


def blob_path(name):
    return Path(_blob_file(name))


# A new file only (a name is never written twice), readable by the server alone: object
# bytes are the users' own.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_NEW_FILE_MODE = 0o600


class StagedBlob:
    """A new blob being written (a :class:`StagedBody` that outgrew a row): :meth:`discard`
    deletes what was written unless :meth:`install` kept it."""

    def __init__(self):
        self.name = uuid.uuid4().hex
        self._tmp = os.path.join(_root(), "tmp", self.name)
        # A file descriptor, not a buffered file: the pieces come whole from the client's
        # stream, and open()'s buffering asks the file system twice more (fstat, isatty)
        # per upload, 15 us of a 1 KiB PutObject's CPU here.
        self._fd = _in_directory(os.open, self._tmp, _NEW_FILE, _NEW_FILE_MODE)
        self.installed = False

    def write(self, data):
        data = memoryview(data)
        while data:
            data = data[os.write(self._fd, data):]

    def _close(self):
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def install(self):
        """Move the finished blob into place; returns its name."""
        self._close()
        _in_directory(lambda final: os.replace(self._tmp, final), _blob_file(self.name))
        self.installed = True
        return self.name

    def discard(self):
        self._close()
        if not self.installed:
            _unlink(self._tmp)


# An object (or part) of up to this many bytes is kept in its row, not in a file of its
# own: the row is written anyway, and a file's create, rename and later unlink cost a
# 1 KiB PutObject about a tenth of its CPU. Small enough to be held in memory while it
# arrives, and to leave a row of it within one 4 KiB database page or two.
INLINE_MAX = 4096


class StagedBody:
    """A new object's bytes being received: held in memory while they would fit in a
    row, in a :class:`StagedBlob` from the first write that would not. :meth:`discard`
    deletes what was written unless :meth:`install` kept it."""

    def __init__(self):
        self._memory = bytearray()
        self._file = None
        self.installed = False

    def write(self, data):
        if self._file is None:
            if len(self._memory) + len(data) <= INLINE_MAX:
                self._memory += data
                return
            self._file = StagedBlob()
            self._file.write(self._memory)
            self._memory = None
        self._file.write(data)

    def install(self):
        """Keep the bytes: the row fields that say where (``blob`` and ``inline``)."""
        self.installed = True
        if self._file is None:
            return {"blob": "", "inline": bytes(self._memory)}
        return {"blob": self._file.install(), "inline": None}

    def discard(self):
        if self._file is not None:
            self._file.discard()


def _in_directory(make, path, *args):
    """``make(path, *args)``, creating the directory of ``path`` only when it is missing:
    256 of them hold every blob, so asking on every upload was wasted system calls."""
    try:
        return make(path, *args)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return make(path, *args)


def copy_of(row):
    """The ``blob`` and ``inline`` fields of a copy of ``row``'s bytes (CopyObject)."""
    if row.blob:
        return {"blob": link(row.blob), "inline": None}
    return {"blob": "", "inline": bytes(row.inline)}


def link(name):
    """A new name for an existing blob's bytes: a hard link, as blobs never change; a
    copy where the file system has no links."""
    new = uuid.uuid4().hex
    target = blob_path(new)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(blob_path(name), target)
    except OSError:
        shutil.copyfile(blob_path(name), target)
    return new


def remove_after_commit(*names):
    """Delete blobs once the transaction that dropped them commits (at once outside one)."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [_unlink(_blob_file(name)) for name in names])


def remove_now(name):
    _unlink(_blob_file(name))


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _pieces(file, length):
    with file:
        left = length
        while left is None or left > 0:
            data = file.read(READ_SIZE if left is None else min(READ_SIZE, left))
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield data


def body_of(row, start=0, length=None):
    """``row``'s bytes (an object's or a part's) from ``start``, ``length`` of them (all by
    default): a :class:`BlobBody` or an :class:`InlineBody`."""
    if row.blob:
        return BlobBody(row.blob, start, length)
    return InlineBody(row.inline, start, length)


class InlineBody:
    """A :class:`BlobBody` of bytes the row holds."""

    def __init__(self, data, start=0, length=None):
        # bytes from SQLite, a memoryview or bytes from PostgreSQL's driver.
        data = memoryview(data)[start:]
        self._data = bytes(data if length is None else data[:length])

    def __iter__(self):
        return iter((self._data,) if self._data else ())

    def close(self):
        pass

    def read_all(self):
        return self._data


class BlobBody:
    """A blob's bytes from ``start``, ``length`` of them (all by default), in pieces: a
    GetObject body the API door streams out, closed by the server whether or not the
    client read it all. The file is opened at once, so a delete that commits meanwhile
    does not cut the download short."""

    def __init__(self, name, start=0, length=None):
        self._file = open(_blob_file(name), "rb")
        self._file.seek(start)
        self._pieces = _pieces(self._file, length)

    def __iter__(self):
        return self._pieces

    def close(self):
        self._pieces.close()
        self._file.close()

    def read_all(self):
        """All of it at once, for the console's small previews and for tests."""
        return b"".join(self._pieces)
