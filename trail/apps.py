import os
import sys

from django.apps import AppConfig


def deliveries_on():
    """Whether trails are delivered and the event store sealed at all
    (IAMLAB_TRAIL_DELIVERY_SECONDS=0 turns both off), by whichever serves: a thread of
    ``runserver`` or the production server's delivery process (console/serve.py)."""
    return os.environ.get("IAMLAB_TRAIL_DELIVERY_SECONDS", "300") != "0"


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
        if delivers_in_a_thread() and deliveries_on():
            from trail.delivery import start_background

            start_background()
