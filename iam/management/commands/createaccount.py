import json

from django.core.management.base import BaseCommand, CommandError

from iam.accounts import AccountError, create_account
from iam.operations.access_keys import issue_access_key


class Command(BaseCommand):
    help = "Create an AWS account and its root user."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="Root user email address")
        parser.add_argument("--password", required=True, help="Root user password")
        parser.add_argument("--account-id", help="12-digit account ID (random if omitted)")
        parser.add_argument("--alias", help="Account alias")
        parser.add_argument("--json", action="store_true", help="Print the account as one JSON object")
        parser.add_argument(
            "--root-access-key",
            action="store_true",
            help="Also create an access key for the root user and print it (the secret is shown only here)",
        )

    def handle(self, *args, **options):
        try:
            account = create_account(
                options["email"], options["password"], account_id=options["account_id"], alias=options["alias"]
            )
        except AccountError as error:
            raise CommandError(str(error)) from None
        facts = {"account_id": account.account_id, "alias": account.alias, "root_email": account.root_email}
        if options["root_access_key"]:
            key, secret = issue_access_key(account, None)
            facts["access_key_id"] = key.access_key_id
            facts["secret_access_key"] = secret
        if options["json"]:
            self.stdout.write(json.dumps(facts))
        else:
            self.stdout.write(f"Created account {account.account_id} for {account.root_email}.")
            if options["root_access_key"]:
                self.stdout.write(f"Root access key ID: {facts['access_key_id']}")
                self.stdout.write(f"Secret access key:  {facts['secret_access_key']}")
