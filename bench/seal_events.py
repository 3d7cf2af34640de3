"""CPU per event of sealing the event store and of checking its seals.

A served process seals, every 5 s (IAMLAB_EVENT_SEAL_SECONDS), the events written
since its last run (trail/digests.py ``seal_events``, from trail/delivery.py's thread):
their CPU is taken from the requests being served then, a share of every event's cost.

On a scratch SQLite instance (WAL, as `make run`): --events events (bench/lookup_events'
rows), then one ``seal_events`` and one ``check_event_store`` over them; prints the CPU
time (process time) per event of each, best of --repeat runs (the seals are deleted
between runs).

Run: .venv/bin/python bench/seal_events.py [--events 20000] [--repeat 3]"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lookup_events import insert_events, setup_django  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iamlab-seal-") as var:
        setup_django(var)
        insert_events(args.events)
        from trail import digests
        from trail.models import EventSeal

        seal, check = [], []
        for _ in range(args.repeat):
            EventSeal.objects.all().delete()
            started = time.process_time()
            sealed = digests.seal_events()
            seal.append((time.process_time() - started) / sealed)
            started = time.process_time()
            report = digests.check_event_store()
            check.append((time.process_time() - started) / report["events"])
            assert sealed == args.events and not report["problems"], report["problems"][:3]
        print(f"{args.events} events: seal_events {min(seal) * 1e6:.1f} µs CPU an event, "
              f"check_event_store {min(check) * 1e6:.1f} µs (best of {args.repeat})")


if __name__ == "__main__":
    main()
