import os

import django

from console import affinity

# In a worker of console.serve: before Django starts the trail's thread, so it is pinned too.
affinity.pin_worker()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
django.setup(set_prefix=False)

from awsapi.wsgi import Handler  # noqa: E402 (needs the apps loaded)

application = Handler()
