"""Run the loopback OpenID Connect provider (tests/accounts/oidc_idp/serve.py) as a child process and play the
browser's part at it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[3]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class LoopbackIdP:
    url: str  # the issuer: http://127.0.0.1:<port>/o
    client_id: str
    client_secret: str
    database: Path

    def allow_redirect_uri(self, uri: str) -> None:
        """Register the product's callback, as the enterprise's IdP admin would (its path names the organization's
        id, which each test's database gives anew), in the IdP's own database."""
        with contextlib.closing(sqlite3.connect(self.database)) as connection, connection:
            connection.execute("UPDATE oauth2_provider_application SET redirect_uris = ?", (uri,))

    def sign_in(self, authorize_url: str, username: str, password: str) -> str:
        """What a browser does at the IdP: follow the authorization request to the login form, sign in, and come
        back with the redirect to the product's callback (consent is pre-approved). Returns that callback URL."""
        browser = requests.Session()
        response = browser.get(authorize_url, timeout=10)  # redirected to /login/?next=/o/authorize/...
        assert response.status_code == 200 and "/login/" in response.url, response.text[:500]
        token = CSRF_INPUT.search(response.text).group(1)
        response = browser.post(
            response.url,
            data={"csrfmiddlewaretoken": token, "username": username, "password": password},
            headers={"Referer": response.url},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:500]
        response = browser.get(
            self.url.rsplit("/o", 1)[0] + response.headers["Location"], allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


def rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@contextlib.contextmanager
def loopback_idp(tmp_path: Path, *, users: list[dict]):
    client = {"client_id": "mentorship-sp", "client_secret": "s3cret-of-the-loopback-client", "redirect_uris": []}
    database = tmp_path / "idp.sqlite3"
    env = {
        **os.environ,
        "IDP_DATABASE": str(database),
        "IDP_RSA_PRIVATE_KEY": rsa_private_key_pem(),
        "IDP_USERS": json.dumps(users),
        "IDP_CLIENT": json.dumps(client),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.accounts.oidc_idp.serve"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the loopback IdP did not start (exit code {process.poll()})"
        yield LoopbackIdP(f"http://127.0.0.1:{port}/o", client["client_id"], client["client_secret"], database)
    finally:
        process.terminate()
        process.wait(timeout=10)
