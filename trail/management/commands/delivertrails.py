import os
import signal
import threading

from django.core.management.base import BaseCommand

from trail import delivery


class Command(BaseCommand):
    help = "Deliver every logging trail's new events (and due digest files) to its S3 bucket, and seal the event store."

    def add_arguments(self, parser):
        parser.add_argument(
            "--forever", action="store_true",
            help="keep going: deliver every IAMLAB_TRAIL_DELIVERY_SECONDS and seal every IAMLAB_EVENT_SEAL_SECONDS, "
                 "until SIGTERM or SIGINT or until the process that started this one ends (what `make run` starts "
                 "beside its workers)",
        )
        parser.add_argument("--holder", help="with --forever: the delivery lease's holder name, kept by a process "
                                             "started again in its place")

    def handle(self, *args, **options):
        if options["forever"]:
            self.forever(options["holder"])
            return
        written = delivery.deliver()
        self.stdout.write(f"{written} log file{'s' if written != 1 else ''} delivered")

    def forever(self, holder):
        stop = threading.Event()
        # Both end the loop between runs, so a run in progress finishes and gives back
        # its lease: SIGTERM from console/serve.py (which starts this process in a
        # process group of its own, out of the terminal's Ctrl-C), SIGINT when run by hand.
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
        # Should the server die without stopping this process (SIGKILL), it is adopted
        # by another parent: nothing would deliver twice (the lease), but it would go on
        # writing into an instance nobody serves.
        parent = os.getppid()
        delivery.run_periodically(stop, holder, alive=lambda: os.getppid() == parent)
