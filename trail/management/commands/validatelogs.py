"""``manage.py validatelogs``: ``aws cloudtrail validate-logs`` for iamlab, reading the
digest and log files straight from S3 storage — and, with ``--event-store``, the seals
over the event store itself. Valid files are listed with ``--verbose``; every INVALID
one is named on stderr, and the exit status is 1 when anything is invalid."""

import re
import sys
from datetime import datetime, timezone

from django.core.management.base import BaseCommand, CommandError

from console import clock
from trail import digests
from trail.models import Trail

ARN = re.compile(r"arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)")


def parse_time(text):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"Unable to parse date value: {text}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def display(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Command(BaseCommand):
    help = "Validate a trail's CloudTrail log and digest files (like aws cloudtrail validate-logs), or the event store."

    def add_arguments(self, parser):
        parser.add_argument("--trail", help="Trail name or ARN")
        parser.add_argument("--account", help="Account ID (a trail name is looked up in this account)")
        parser.add_argument("--region", help="The trail's home region, when a name is ambiguous")
        parser.add_argument("--start-time", help="Validate files delivered on or after this UTC time")
        parser.add_argument("--end-time", help="... and on or before this one (default: now)")
        parser.add_argument("--event-store", action="store_true", help="Verify the event store's hash chains")
        parser.add_argument("--verbose", action="store_true", help="Also list the valid files")

    def handle(self, *args, **options):
        self.verbose = options["verbose"]
        if options["event_store"]:
            ok = self.event_store(options["account"])
        else:
            if not options["trail"] or not options["start_time"]:
                raise CommandError("--trail and --start-time are required (or --event-store)")
            ok = self.trail_files(options)
        if not ok:
            sys.exit(1)

    def find_trail(self, name, account, region):
        trails = Trail.objects.select_related("account")
        found = ARN.fullmatch(name)
        if found:
            region, account, name = found.groups()
        if account:
            trails = trails.filter(account__account_id=account)
        if region:
            trails = trails.filter(home_region=region)
        matches = list(trails.filter(name=name))
        if not matches:
            raise CommandError(f"A trail could not be found for {name}")
        if len(matches) > 1:
            raise CommandError(f"Several trails are named {name}: give its ARN, or --account and --region")
        return matches[0]

    def trail_files(self, options):
        trail = self.find_trail(options["trail"], options["account"], options["region"])
        start = parse_time(options["start_time"])
        end = parse_time(options["end_time"]) if options["end_time"] else clock.now()
        if start > end:
            raise CommandError("Invalid time range specified: start-time must occur before end-time")
        self.stdout.write(f"Validating log files for trail {trail.arn} between {display(start)} and {display(end)}\n\n")
        report = digests.validate_trail(trail, start, end)
        for is_error, line in report.lines:
            if is_error:
                self.stderr.write(f"{line}\n\n")
            elif self.verbose:
                self.stdout.write(line)
        self.stdout.write(f"\nResults requested for {display(start)} to {display(end)}")
        if not (report.valid_digests or report.invalid_digests):
            self.stdout.write("No digests found")
            return report.ok
        if report.found_start is None:
            self.stdout.write("No valid digests found in range")
        else:
            self.stdout.write(f"Results found for {display(report.found_start)} to {display(report.found_end)}:")
        self.stdout.write("")
        self.ratio(report.valid_digests, report.invalid_digests, "digest")
        self.ratio(report.valid_logs, report.invalid_logs, "log")
        return report.ok

    def ratio(self, valid, invalid, name):
        total = valid + invalid
        if total:
            line = f"{valid}/{total} {name} files valid"
            if invalid:
                line += f", {invalid}/{total} {name} files INVALID"
            self.stdout.write(line)

    def event_store(self, account):
        scope = f"account {account}" if account else "every account"
        self.stdout.write(f"Validating the event store of {scope}\n\n")
        report = digests.check_event_store(account)
        for problem in report["problems"]:
            self.stderr.write(f"{problem}\n\n")
        if not report["seals"]:
            self.stdout.write("No seals found")
            return True
        if report["first"] is not None:
            self.stdout.write(f"Results found for {display(report['first'])} to {display(report['last'])}:")
        invalid = len(report["problems"])
        self.stdout.write(f"\n{report['seals']} seals, {report['events']} sealed events checked")
        if invalid:
            self.stdout.write(f"{invalid} problems found: the event store has been tampered with")
        else:
            self.stdout.write("Every sealed event is intact")
        return not invalid
