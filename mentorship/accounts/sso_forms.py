from __future__ import annotations

import base64
import re

from cryptography import x509
from django import forms
from django.conf import settings

from mentorship.accounts.models import OrganizationSSO
from mentorship.accounts.sso import OidcConfig, SamlConfig

PEM_ARMOUR = re.compile(r"-----(BEGIN|END) CERTIFICATE-----|\s+")


def normalize_certificate(text: str) -> str:
    """The base64 body python3-saml wants, from a PEM block or a bare body; ValueError if it is no X.509 cert."""
    body = PEM_ARMOUR.sub("", text)
    try:
        x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except ValueError as error:
        raise ValueError("not an X.509 certificate") from error
    return body


class IdpUrlField(forms.URLField):
    """An identity provider's address: https in production; plain http only where nothing is deployed."""

    def __init__(self, **kwargs):
        super().__init__(assume_scheme="https", **kwargs)

    def clean(self, value):
        url = super().clean(value)
        if url and settings.PRODUCTION and not url.startswith("https://"):
            raise forms.ValidationError("Use an https:// address.")
        return url


class SSOSettingsForm(forms.Form):
    email_domains = forms.CharField(
        label="Email domains",
        required=False,
        help_text="Separated by commas or spaces. People whose identity provider asserts an address in these domains "
        "join the organization as members the first time they sign in.",
    )
    oidc_enabled = forms.BooleanField(label="Sign in with OpenID Connect", required=False)
    oidc_server_url = IdpUrlField(
        label="Issuer URL",
        required=False,
        help_text="The identity provider's issuer; its /.well-known/openid-configuration is read from there.",
    )
    oidc_client_id = forms.CharField(label="Client ID", max_length=191, required=False)
    oidc_client_secret = forms.CharField(
        label="Client secret",
        max_length=191,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the saved secret.",
    )
    saml_enabled = forms.BooleanField(label="Sign in with SAML", required=False)
    saml_entity_id = forms.CharField(label="IdP entity ID", max_length=500, required=False)
    saml_metadata_url = IdpUrlField(
        label="IdP metadata URL",
        required=False,
        help_text="Either this, or the sign-on URL and certificate below.",
    )
    saml_sso_url = IdpUrlField(label="IdP single sign-on URL", required=False)
    saml_x509cert = forms.CharField(
        label="IdP signing certificate (PEM)", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, sso: OrganizationSSO | None, **kwargs):
        self.sso = sso
        super().__init__(*args, initial=self.initial_from(sso), **kwargs)

    @staticmethod
    def initial_from(sso: OrganizationSSO | None) -> dict:
        if sso is None:
            return {}
        initial = {"email_domains": ", ".join(sso.email_domains)}
        if sso.oidc_app:
            initial.update(
                oidc_enabled=True,
                oidc_server_url=sso.oidc_app.settings.get("server_url", ""),
                oidc_client_id=sso.oidc_app.client_id,
            )
        if sso.saml_app:
            idp = sso.saml_app.settings.get("idp", {})
            initial.update(
                saml_enabled=True,
                saml_entity_id=idp.get("entity_id", ""),
                saml_metadata_url=idp.get("metadata_url", ""),
                saml_sso_url=idp.get("sso_url", ""),
                saml_x509cert=idp.get("x509cert", ""),
            )
        return initial

    def domain_list(self) -> list[str]:
        return re.split(r"[\s,;]+", self.cleaned_data.get("email_domains", ""))

    def clean(self):
        data = super().clean()
        if data.get("oidc_enabled"):
            self._require("oidc_server_url", "oidc_client_id")
            if not data.get("oidc_client_secret") and not (self.sso and self.sso.oidc_app):
                self.add_error("oidc_client_secret", "Enter the client secret.")
        if data.get("saml_enabled"):
            self._require("saml_entity_id")
            if not data.get("saml_metadata_url"):
                self._require("saml_sso_url", "saml_x509cert")
            if data.get("saml_x509cert"):
                try:
                    data["saml_x509cert"] = normalize_certificate(data["saml_x509cert"])
                except ValueError:
                    self.add_error("saml_x509cert", "This is not a PEM X.509 certificate.")
        return data

    def _require(self, *names: str) -> None:
        for name in names:
            if not self.cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, "This field is required when this sign-in method is on.")

    def oidc_config(self) -> OidcConfig | None:
        data = self.cleaned_data
        if not data["oidc_enabled"]:
            return None
        secret = data["oidc_client_secret"] or self.sso.oidc_app.secret
        return OidcConfig(
            server_url=data["oidc_server_url"].rstrip("/"), client_id=data["oidc_client_id"], secret=secret
        )

    def saml_config(self) -> SamlConfig | None:
        data = self.cleaned_data
        if not data["saml_enabled"]:
            return None
        if data["saml_metadata_url"]:
            return SamlConfig(entity_id=data["saml_entity_id"], metadata_url=data["saml_metadata_url"])
        return SamlConfig(
            entity_id=data["saml_entity_id"], sso_url=data["saml_sso_url"], x509cert=data["saml_x509cert"]
        )


class SSODiscoveryForm(forms.Form):
    email = forms.EmailField(label="Work email")
