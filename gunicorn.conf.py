"""gunicorn's settings file, read from the working directory by the Dockerfile's `gunicorn` and the load test's
(analytics/loadtest/server.py) alike; the command line and WEB_CONCURRENCY set the rest.

Each worker freezes the objects of the loaded application (Django, the URL conf, models, settings) out of the
garbage collector's reach once it has imported it. They live as long as the worker, yet every full collection
walked all of them: about 70 ms each, a pause that the requests in flight waited through (the load test's p99).
Reference counting still frees them; only the cycle detector skips them.
"""

import gc


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
