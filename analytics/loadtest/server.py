"""gunicorn on a free loopback port, serving the product with its production settings as the app role.

As in the Dockerfile: `gunicorn mentorship.wsgi:application` with DJANGO_ENV=production (DEBUG off, WhiteNoise,
HTTPS-only cookies behind a proxy that sets X-Forwarded-Proto), the static files collected first (again only when
a source file is newer than the collected ones). `production=False` serves DJANGO_ENV=development with DEBUG off
instead, which needs no collected static files (a minute of compression): the smoke test's choice.

Both read gunicorn.conf.py from the project folder (the working directory here and in the image), so the workers
are configured alike. The worker count defaults to docker-compose.yml's WEB_CONCURRENCY, 4 sync workers, the best of
what was measured on the 2-CPU machine at 50 requests/s: a sync worker is held through its request's database round
trips and commit, so 2 workers served only 39 requests/s, and once a log and a page cost fewer queries (and the log
waits on its commit as long as before) 3 left requests queued: workspace/dashboard p99 310-440/280-320 ms over
three runs, against 190-240/170-250 ms with 4 in three of five runs (the other two: 430/370 ms starting right
after a run, and a stall of about a second in the middle of one). 5 workers (810 ms), and threads (2 workers x 3
gthread threads: 1.2 s), did worse: more processes, or the GIL, contending for the two CPUs with PostgreSQL and
locust.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection

STATIC_ROOT = settings.BASE_DIR / ".devdata" / "loadtest" / "staticfiles"
START_TIMEOUT = 60  # seconds for every worker to boot


def database_url(settings_dict) -> str:
    """The URL of the connection the command itself uses (the app role), for the server's processes."""
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    user, password = quote(settings_dict["USER"]), quote(settings_dict["PASSWORD"] or "")
    return f"postgresql://{user}:{password}@{quote(host, safe='')}{port}/{settings_dict['NAME']}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(*, database: str, production: bool) -> dict[str, str]:
    environment = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": settings.REDIS_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_ENV": "production" if production else "development",
    }
    if production:
        # The signed-in sessions were written by this process: the server must check them with the same key.
        environment.update(SECRET_KEY=settings.SECRET_KEY, STATIC_ROOT=str(STATIC_ROOT))
    return environment


def _static_up_to_date() -> bool:
    """Whether the collected files are newer than every source file (collecting compresses for a minute)."""
    manifest = Path(STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    collected = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if os.path.getmtime(storage.path(path)) > collected:
                return False
    return True


def collect_static(environment: dict[str, str], *, write) -> None:
    if _static_up_to_date():
        return
    started = time.monotonic()
    subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=environment, cwd=settings.BASE_DIR, check=True, timeout=600,
    )  # fmt: skip
    write(f"  static files collected in {time.monotonic() - started:.1f} s")


def _ready(url: str) -> bool:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _cpu_seconds(stat: Path) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used, user + system) of a process from its /proc stat; None once it ended."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name: state, ppid, ...
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def workers_cpu_seconds(master_pid: int) -> float:
    """CPU time the gunicorn workers of `master_pid` have used so far."""
    found = (_cpu_seconds(stat) for stat in Path("/proc").glob("[0-9]*/stat"))
    return sum(seconds for parent, seconds in filter(None, found) if parent == master_pid)


def database_cpu_seconds() -> dict[int, float]:
    """CPU time used so far by each PostgreSQL backend of this database and role but our own: the server's
    connections (PostgreSQL runs on this machine: the load test is on loopback)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND usename = current_user "
            "AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    found = {pid: _cpu_seconds(Path(f"/proc/{pid}/stat")) for pid in pids}
    return {pid: usage[1] for pid, usage in found.items() if usage is not None}


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@contextlib.contextmanager
def gunicorn(environment: dict[str, str], *, workers: int) -> Iterator[Server]:
    """Yield the server once /healthz/ answers; stop it (and wait for it) afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "mentorship.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-tmp-dir", "/dev/shm", "--log-level", "warning"],
        env=environment, cwd=settings.BASE_DIR,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(f"{base}/healthz/"):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {process.returncode} during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz/ within {START_TIMEOUT} s")
            time.sleep(0.3)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
