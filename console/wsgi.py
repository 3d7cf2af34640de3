import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
django.setup(set_prefix=False)

from awsapi.wsgi import Handler  # noqa: E402 (needs the apps loaded)

application = Handler()
