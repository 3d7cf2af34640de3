from django.core.management.base import BaseCommand

from trail.delivery import deliver


class Command(BaseCommand):
    help = "Deliver every logging trail's new events (and due digest files) to its S3 bucket, and seal the event store."

    def handle(self, *args, **options):
        written = deliver()
        self.stdout.write(f"{written} log file{'s' if written != 1 else ''} delivered")
