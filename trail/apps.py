import os
import sys

from django.apps import AppConfig


def delivers_in_a_thread():
    """Whether this process delivers trails and seals the event store from a thread of
    its own: ``runserver``'s serving child only. The production server's workers do not
    (console/serve.py runs ``delivertrails --forever`` beside them, away from their
    request threads), and tests and other management commands must not start deliveries
    of their own."""
    program = sys.argv[0] if sys.argv else ""
    if os.path.basename(program) != "manage.py" or sys.argv[1:2] != ["runserver"]:
        return False
    # With the autoreloader, the child that serves has RUN_MAIN set; the parent only
    # watches files.
    return "--noreload" in sys.argv or os.environ.get("RUN_MAIN") == "true"


class TrailConfig(AppConfig):
    name = "trail"

    def ready(self):
        if delivers_in_a_thread() and os.environ.get("IAMLAB_TRAIL_DELIVERY_SECONDS", "300") != "0":
            from trail.delivery import start_background

            start_background()
