import gc
import os

import django

from console import affinity

# A worker of console.serve (`make run`), not a test or `runserver` importing the app.
SERVER_WORKER = os.environ.get("IAMLAB_SERVING") == "1"

# In a worker of console.serve: before Django starts any thread, so it is pinned too.
affinity.pin_worker()
if SERVER_WORKER:
    # Out of the terminal's process group, so that Ctrl-C on `make run` reaches the
    # serving process alone, which stops each worker with one SIGTERM. Given the
    # terminal's SIGINT as well, a worker that had served requests often never woke
    # from granian's wait for a stop signal (5 of 6 tries) and was killed 30 s later,
    # the events it had queued lost with it.
    os.setpgid(0, 0)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
django.setup(set_prefix=False)

from awsapi.protocol.common import service_model  # noqa: E402 (needs the apps loaded)
from awsapi.registry import REGISTRY  # noqa: E402
from awsapi.wsgi import Handler  # noqa: E402

application = Handler()

if SERVER_WORKER:
    # The botocore models of the services served, loaded now rather than by each first
    # call, so that they are frozen with the rest of start-up.
    for _service in REGISTRY:
        service_model(_service)
    # What start-up made lives as long as the worker: out of the collector's sight. A
    # full collection (every ~10 s under load, as requests' objects pass into the oldest
    # generation) walked all 80,000-120,000 of those objects again and stopped the
    # worker's every thread for 22-81 ms (bench/NOTES.md): enough, alone, to put
    # GetCallerIdentity's p99 over 10 ms. Frozen, the same collections walked
    # 3,500-24,000 objects in 0.6-4 ms. Not in a process that merely imports the app (a
    # test run): its objects are not a server's, and would never be collected.
    gc.collect()
    gc.freeze()
