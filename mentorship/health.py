from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse


def healthz(request):
    """Liveness and readiness for the load balancer and compose: the database and Redis answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cache.get("healthz")
    return HttpResponse("ok", content_type="text/plain")
