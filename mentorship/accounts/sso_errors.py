"""An identity provider that is down or answers nonsense is the org's problem to fix, not a server error of ours.

allauth turns protocol errors into its "login failure" page, but lets a failed HTTP request to the IdP (OpenID
discovery, token, keys; a SAML metadata URL) and python3-saml's settings errors escape as 500s. This middleware
answers those on the SSO paths with 502 and a page that says which organization's IdP failed.
"""

from __future__ import annotations

import logging

from django.shortcuts import render
from onelogin.saml2.errors import OneLogin_Saml2_Error

SSO_PATHS = ("/accounts/oidc/", "/accounts/saml/")
# OSError covers requests' errors and urllib's (python3-saml fetches metadata with urllib).
IDP_FAILURES = (OSError, OneLogin_Saml2_Error, ValueError, KeyError)

logger = logging.getLogger(__name__)


class IdentityProviderErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path_info.startswith(SSO_PATHS) or not isinstance(exception, IDP_FAILURES):
            return None
        logger.error("Identity provider failure on %s", request.path_info, exc_info=exception)
        return render(
            request,
            "accounts/sso_refused.html",
            {
                "reason": "The identity provider could not be reached or sent an answer we cannot use. Try again "
                "later; if it keeps failing, your organization's administrator should check its single sign-on "
                "settings.",
            },
            status=502,
        )
