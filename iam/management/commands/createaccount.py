import json

from django.core.management.base import BaseCommand, CommandError

from iam.accounts import AccountError, create_account


class Command(BaseCommand):
    help = "Create an AWS account and its root user."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="Root user email address")
        parser.add_argument("--password", required=True, help="Root user password")
        parser.add_argument("--account-id", help="12-digit account ID (random if omitted)")
        parser.add_argument("--alias", help="Account alias")
        parser.add_argument("--json", action="store_true", help="Print the account as one JSON object")

    def handle(self, *args, **options):
        try:
            account = create_account(
                options["email"], options["password"], account_id=options["account_id"], alias=options["alias"]
            )
        except AccountError as error:
            raise CommandError(str(error)) from None
        facts = {"account_id": account.account_id, "alias": account.alias, "root_email": account.root_email}
        if options["json"]:
            self.stdout.write(json.dumps(facts))
        else:
            self.stdout.write(f"Created account {account.account_id} for {account.root_email}.")
