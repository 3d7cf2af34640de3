import json
import os
import secrets
import string

from django.conf import settings
from django.core.management.base import BaseCommand

from iam.accounts import create_account
from iam.models import Account

FILE_NAME = "demo-account.json"


def generate_password():
    """A 20-character password with every character type, so it meets any policy."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()_+-="
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(20))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(not c.isalnum() for c in password)
        ):
            return password


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
        password = generate_password()
        account = create_account("root@iamlab.example", password, alias="iamlab-demo") if not Account.objects.filter(
            root_email="root@iamlab.example"
        ).exists() else None
        if account is None:
            self.stdout.write("A demo account already exists but its saved credentials are gone; "
                              "create another with `python manage.py createaccount`.")
            return
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
