"""Start the loopback IdP: migrate its SQLite database, create its users and the product's client, then serve HTTP
on a free port, printed as the first line of stdout. Configured by environment (see tests/accounts/oidc_idp.py)."""

import json
import os
from wsgiref.simple_server import WSGIRequestHandler, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_idp.settings"

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main() -> None:
    call_command("migrate", verbosity=0)
    for person in json.loads(os.environ["IDP_USERS"]):
        User.objects.create_user(person["username"], person["email"], person["password"], first_name=person["name"])
    client = json.loads(os.environ["IDP_CLIENT"])
    Application.objects.create(
        name="Mentorship",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(client["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,  # consent is the enterprise's, granted once for every employee
    )
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
