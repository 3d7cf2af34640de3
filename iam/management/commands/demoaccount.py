import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand

from iam.accounts import create_account
from iam.models import Account
from iam.passwords import generate_password

FILE_NAME = "demo-account.json"
DEMO_EMAIL = "root@iamlab.example"


class Command(BaseCommand):
    help = "Create the demo account on first run and print how to sign in to it."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the console is served")

    def handle(self, *args, **options):
        path = settings.VAR_DIR / FILE_NAME
        signin_url = options["url"].rstrip("/") + "/signin"
        if path.exists():
            facts = json.loads(path.read_text())
            if Account.objects.filter(account_id=facts["account_id"]).exists():
                self.stdout.write(
                    f"Demo account {facts['account_id']} ({facts['root_email']}): sign in at {signin_url}; "
                    f"its root password is in {path}."
                )
                return
        if Account.objects.filter(root_email=DEMO_EMAIL).exists():
            self.stdout.write(
                "The demo account exists but its saved credentials are gone; "
                "create another account with `python manage.py createaccount`."
            )
            return
        password = generate_password()
        account = create_account(DEMO_EMAIL, password, alias="iamlab-demo")
        facts = {
            "account_id": account.account_id,
            "alias": account.alias,
            "root_email": account.root_email,
            "root_password": password,
            "signin_url": signin_url,
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(facts, f, indent=2)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "iamlab demo account created (shown once; saved in the var directory):",
                    f"  Sign-in URL:        {signin_url}",
                    f"  Root user email:    {account.root_email}",
                    f"  Root user password: {password}",
                    f"  Account ID:         {account.account_id} (alias {account.alias})",
                    "",
                ]
            )
        )
