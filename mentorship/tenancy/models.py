"""The tenancy kernel's models: Organization, Department, Membership, Invitation and the TenantModel base."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from mentorship.tenancy.scope import require_organization_id


class CurrentOrganizationId(models.Expression):
    """SQL parameter that reads the scope when the query is compiled, not when the queryset is built.

    So a queryset created at import time (a form field's choices, say) is filtered by the scope in force when it
    runs, and running it with no scope raises NoTenantScope.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):
        return "%s", [require_organization_id()]


class TenantManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(organization_id=CurrentOrganizationId())


class CrossOrganizationWrite(RuntimeError):
    """A row of one organization was saved inside the scope of another."""


class TenantModel(models.Model):
    """Base of every organization-owned row.

    `objects` sees the scope's organization only and raises outside a scope; `all_organizations` is the
    deliberately named, greppable escape hatch. Subclasses get row-level security from their migration
    (`EnableRowLevelSecurity`); the few tables that must be read before a scope exists say
    `row_level_security = False`, and the contract tests hold that list fixed.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.CASCADE, related_name="+", editable=False)

    row_level_security = True

    objects = TenantManager()  # first manager declared: Django's default manager
    all_organizations = models.Manager()  # noqa: DJ012 (ruff takes models.Manager() for a field)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._claim_for_scope()
        super().save(*args, **kwargs)

    def _claim_for_scope(self) -> None:
        scope = require_organization_id()
        if self.organization_id is None:
            self.organization_id = scope
        elif self.organization_id != scope:
            raise CrossOrganizationWrite(
                f"{type(self).__name__} of organization {self.organization_id} written in the scope of {scope}"
            )

    def full_clean(self, *args, **kwargs):
        # Unique constraints all include organization; it must be set for validate_constraints to check them.
        self._claim_for_scope()
        super().full_clean(*args, **kwargs)

    def unique_error_message(self, model_class, unique_check):
        fields = [name for name in unique_check if name != "organization"]
        if len(fields) != 1 or len(unique_check) != 2:
            return super().unique_error_message(model_class, unique_check)
        label = model_class._meta.get_field(fields[0]).verbose_name
        return ValidationError(
            f"{capfirst(model_class._meta.verbose_name)} with this {label} already exists.",
            code="unique",
            params={"unique_check": unique_check},
        )

    def validate_constraints(self, exclude=None):
        """Report a (organization, field) uniqueness violation on `field`, so forms and the API name it."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors: dict[str, list] = {}
            for key, messages in error.error_dict.items():
                for message in messages:
                    check = (message.params or {}).get("unique_check", ()) if message.code == "unique" else ()
                    rest = [name for name in check if name != "organization"]
                    target = rest[0] if key == NON_FIELD_ERRORS and len(check) == 2 and len(rest) == 1 else key
                    errors.setdefault(target, []).append(message)
            raise ValidationError(errors) from None


class Organization(models.Model):
    """A customer. Read before any scope exists (URL resolution), so it has no row-level security."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    min_group_size = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text="Figures about fewer people than this are never shown (dashboards, exports, API).",
    )
    require_mfa = models.BooleanField(
        "require two-factor authentication",
        default=False,
        help_text="Members without an authenticator app are sent to set one up before they can use the organization.",
    )
    private_note_retention_days = models.PositiveIntegerField(
        "keep private notes for (days)",
        null=True,
        blank=True,
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Private notes of sessions in closed cohorts are deleted this many days after the cohort ended. "
        "Empty: kept for good.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Roles beyond plain membership; every active membership is a member and may use the member pages."""

    ORG_ADMIN = "org_admin", "Org admin"
    PROGRAM_ADMIN = "program_admin", "Program admin"
    HR_ANALYST = "hr_analyst", "HR analyst"


def role_labels(roles: list[str]) -> list[str]:
    return [Role(role).label for role in roles if role in Role.values] or ["Member"]


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The IANA names on this machine; read once (scanning the tz database for each value made imports slow)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in known_time_zones():
        raise ValidationError(f"“{value}” is not a known time zone (use names like Europe/Berlin).")


def validate_languages(value: list[str]) -> None:
    for code in value:
        if not (2 <= len(code) <= 8 and code.replace("-", "").isalpha()):
            raise ValidationError(f"“{code}” is not a language code (use codes like en, de, pt-BR).")


class Department(TenantModel):
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="department_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user's place in one organization: roles, department, manager and working preferences.

    No row-level security: a request reads its membership to decide whether it may enter the organization's scope.
    The ORM scoping still applies; resolution goes through `all_organizations` in tenancy.access only.
    """

    row_level_security = False

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    job_title = models.CharField(max_length=120, blank=True)
    manager = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="direct_reports")
    location = models.CharField(max_length=120, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True, validators=[validate_languages])
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When an org admin erased this member's personal data (data_rights)."
    )

    class Meta:
        ordering = ["user__full_name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_per_org")]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return str(self.user)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_org_admin(self) -> bool:
        return Role.ORG_ADMIN in self.roles

    @property
    def role_labels(self) -> list[str]:
        return role_labels(self.roles)


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class ScopedInvitationManager(TenantManager.from_queryset(InvitationQuerySet)):
    pass


class Invitation(TenantModel):
    """An org admin's invitation of an email address, with the roles it will receive.

    No row-level security: the invitee arrives with a token before any scope exists. Only the token's SHA-256 is
    stored; the token itself travels in the email.
    """

    row_level_security = False

    email = models.EmailField()
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    job_title = models.CharField(max_length=120, blank=True)
    invited_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedInvitationManager()
    all_organizations = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email}"

    @property
    def role_labels(self) -> list[str]:
        return role_labels(self.roles)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class PeopleImport(TenantModel):
    """One upload of an HR export by an org admin: validated as a whole, then imported in one transaction.

    Small files are processed in the request; larger ones by `people_import_run_task`, which reads `data` (the
    uploaded bytes, deleted when the import finishes) and reports `processed_rows` as it goes.
    """

    class Status(models.TextChoices):
        VALIDATING = "validating", "Validating"
        FAILED = "failed", "Failed"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Done"

    uploaded_by = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.VALIDATING)
    send_invitations = models.BooleanField(default=False)
    base_url = models.CharField(max_length=200, blank=True, help_text="Where invitation links point.")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    invited_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}], row 1 is the header.")
    data = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.IMPORTING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if not self.is_running else 0
        return min(100, self.processed_rows * 100 // self.total_rows)
