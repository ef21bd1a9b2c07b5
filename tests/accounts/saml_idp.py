# ruff: noqa: E501  (the SAML XML templates read best unwrapped)
"""A loopback SAML identity provider for the SSO tests: it reads the product's AuthnRequest, and answers with a
Response whose assertion it signs with python3-saml/xmlsec under a self-signed certificate made here."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.utils import OneLogin_Saml2_Utils

ENTITY_ID = "https://idp.loopback.test/saml"
SSO_URL = "https://idp.loopback.test/saml/sso"
EMAIL_ATTRIBUTE = "urn:oid:0.9.2342.19200300.100.1.3"


def self_signed_certificate() -> tuple[str, str]:
    """(private key PEM, certificate PEM) of a fresh RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "loopback IdP")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def saml_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LoopbackSamlIdP:
    key_pem: str = ""
    cert_pem: str = ""
    entity_id: str = ENTITY_ID
    sso_url: str = SSO_URL

    def __post_init__(self):
        if not self.key_pem:
            self.key_pem, self.cert_pem = self_signed_certificate()

    @staticmethod
    def read_request(redirect_url: str) -> tuple[str, str, str]:
        """The HTTP-Redirect binding's AuthnRequest: (request ID, ACS URL, RelayState)."""
        query = parse_qs(urlsplit(redirect_url).query)
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0]).decode()
        request_id = re.search(r'\sID="([^"]+)"', xml).group(1)
        acs_url = re.search(r'AssertionConsumerServiceURL="([^"]+)"', xml).group(1)
        return request_id, acs_url, query.get("RelayState", [""])[0]

    def response(self, *, request_id: str, acs_url: str, audience: str, name_id: str, email: str) -> str:
        """The base64 SAMLResponse a browser posts to the ACS, its assertion signed."""
        now = dt.datetime.now(dt.UTC)
        later = saml_time(now + dt.timedelta(minutes=5))
        assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a{uuid.uuid4().hex}" Version="2.0" IssueInstant="{saml_time(now)}">
<saml:Issuer>{self.entity_id}</saml:Issuer>
<saml:Subject>
<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{name_id}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{later}" Recipient="{acs_url}" InResponseTo="{request_id}"/></saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{saml_time(now - dt.timedelta(minutes=1))}" NotOnOrAfter="{later}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AuthnStatement AuthnInstant="{saml_time(now)}" SessionIndex="_s{uuid.uuid4().hex}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
<saml:AttributeStatement><saml:Attribute Name="{EMAIL_ATTRIBUTE}"><saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>
</saml:Assertion>"""
        signed = OneLogin_Saml2_Utils.add_sign(assertion, self.key_pem, self.cert_pem)
        signed = signed.decode() if isinstance(signed, bytes) else signed
        signed = re.sub(r"^<\?xml[^>]*>\s*", "", signed)
        response = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{uuid.uuid4().hex}" Version="2.0" IssueInstant="{saml_time(now)}" Destination="{acs_url}" InResponseTo="{request_id}">
<saml:Issuer>{self.entity_id}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
{signed}
</samlp:Response>"""
        return base64.b64encode(response.encode()).decode()
