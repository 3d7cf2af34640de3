import os
import sys

from django.apps import AppConfig


def serving():
    """Whether this process serves requests: the workers of ``python -m console.serve``
    or ``runserver``'s serving child — not tests and not other management commands,
    which must not start deliveries of their own."""
    if os.environ.get("IAMLAB_SERVING") == "1":  # set by console.serve, inherited by its workers
        return True
    program = sys.argv[0] if sys.argv else ""
    if os.path.basename(program) != "manage.py" or sys.argv[1:2] != ["runserver"]:
        return False
    # With the autoreloader, the child that serves has RUN_MAIN set; the parent only
    # watches files.
    return "--noreload" in sys.argv or os.environ.get("RUN_MAIN") == "true"


class TrailConfig(AppConfig):
    name = "trail"

    def ready(self):
        if serving() and os.environ.get("IAMLAB_TRAIL_DELIVERY_SECONDS", "300") != "0":
            from trail.delivery import start_background

            start_background()
