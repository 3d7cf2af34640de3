"""Each worker of the production server (console.serve) kept on one CPU.

A worker runs Python on one core at a time (the GIL), but its request threads, left to
the scheduler, run on any core: every time the GIL passes from one thread to the other
it also moves between cores, and the interpreter's working set follows it through the
caches. Measured on 2 cores, one worker serving 4 connections of GetCallerIdentity with
its 2 threads: 1,830 req/s at 0.60 ms of CPU per request left free, 2,550 req/s at 0.39 ms
kept on one core; 2 workers, each on its own core: CreateUser 850 -> 1,080 req/s.

Workers claim CPUs by taking flocks on files in a directory the serving process makes
and names in IAMLAB_CPU_CLAIMS. The kernel drops a claim when its worker dies, so the
worker granian starts in its place takes the CPU the dead one had. With more workers than
CPUs, a second round of claims shares the CPUs out evenly."""

import fcntl
import os

ENVIRON = "IAMLAB_CPU_CLAIMS"
# More workers than this many per CPU is a misconfiguration, not a reason to loop.
ROUNDS = 64

_claim = None  # the claim's file descriptor: held open for the life of the worker


def claim(directory, cpus):
    """Take the first free claim in ``directory`` (round by round, CPU by CPU): (cpu, fd)
    with the fd holding it, or None when every claim of every round is taken."""
    for round_ in range(ROUNDS):
        for cpu in cpus:
            fd = os.open(os.path.join(directory, f"cpu{cpu}.{round_}"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return cpu, fd
    return None


def pin_worker(environ=os.environ):
    """Keep this process, every thread it has and every thread it starts later, on the CPU
    it claims; the CPU, or None when it is not a pinned server worker (no claims
    directory, a single CPU to run on) or nothing could be claimed."""
    global _claim
    directory = environ.get(ENVIRON)
    cpus = sorted(os.sched_getaffinity(0))
    if not directory or len(cpus) < 2:
        return None
    try:
        taken = claim(directory, cpus)
    except OSError:
        # The directory is gone (the serving process stopped): the worker still serves.
        taken = None
    if taken is None:
        return None
    cpu, _claim = taken
    # Threads started from here on inherit the pinning; those already running get it too.
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except ProcessLookupError:  # the thread has ended since
            pass
    return cpu
