"""Production settings: refuse to start without SECRET_KEY, and pass `check --deploy` with no warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a production check.
    environ = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environ.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=environ, capture_output=True, text=True, cwd=ROOT
    )


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", DJANGO_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_passes_check_deploy_with_no_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY="x7!k2#q9@v4$p8^z1&m6*r3(b5)n0_w-j+h=t~c?y.e,u;s:a/d",
        ALLOWED_HOSTS="mentorship.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
