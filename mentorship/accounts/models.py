from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from mentorship.tenancy.models import Role, TenantModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, global across organizations; what they may see comes from their memberships."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the operators' Django admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email.split("@")[0]


class ApiToken(TenantModel):
    """A member's personal API token for integrations: valid in one organization only, acting with one role.

    Only the SHA-256 of the secret is stored (`token_hash`); `prefix` is its first characters, shown in lists so a
    person can tell tokens apart. The role can never exceed the membership's roles: the authentication re-checks it
    on every request (mentorship/accounts/token_auth.py), so a later downgrade is honoured.
    """

    MEMBER = "member"  # plain membership: no role beyond the member pages and endpoints
    ROLE_CHOICES = [(MEMBER, "Member"), *Role.choices]

    membership = models.ForeignKey("tenancy.Membership", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    role = models.CharField(max_length=20, choices=ROLE_CHOICES, default=MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["organization", "membership"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"

    def effective_roles(self) -> list[str]:
        """The roles a request with this token holds: the token's role if the membership still has it, else none."""
        return [self.role] if self.role in self.membership.roles else []


class OrganizationSSO(models.Model):
    """An organization's single sign-on: its allauth apps (OpenID Connect, SAML) and the email domains it vouches for.

    A person whose identity provider asserts an address in one of `email_domains` may join the organization just in
    time, as a plain member. A domain belongs to one organization at most, so no organization's identity provider can
    mint accounts in another's domain. Read before any scope exists (the login flow is anonymous), so it is not a
    TenantModel; every lookup goes through the organization or the app (mentorship/accounts/sso.py).
    """

    organization = models.OneToOneField("tenancy.Organization", on_delete=models.CASCADE, related_name="sso")
    email_domains = ArrayField(models.CharField(max_length=253), default=list, blank=True)
    oidc_app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    saml_app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "organization single sign-on"
        indexes = [GinIndex(fields=["email_domains"], name="sso_email_domains_gin")]

    def __str__(self) -> str:
        return f"SSO of {self.organization}"

    def apps(self) -> list:
        return [app for app in (self.oidc_app, self.saml_app) if app is not None]

    def covers(self, email: str | None) -> bool:
        """Whether `email` is in one of this organization's domains."""
        return bool(email) and email.rpartition("@")[2].lower() in self.email_domains
