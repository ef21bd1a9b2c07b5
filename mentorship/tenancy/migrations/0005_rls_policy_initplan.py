"""Rewrite the row-level security policies of every tenant table with the once-per-statement expression
(mentorship/tenancy/rls.py POLICY_EXPRESSION). Depends on the last migration of each app with tenant tables, so it
finds them all; tables created later get the expression from EnableRowLevelSecurity itself."""

from django.db import migrations

from mentorship.tenancy.rls import policies_rewrite


def forwards(apps, schema_editor):
    policies_rewrite(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0004_data_rights"),
        ("accounts", "0003_organization_sso"),
        ("audit", "0002_sso_changed_action"),
        ("programs", "0004_workspace"),
        ("matching", "0002_mentor_requests_rematch"),
        ("analytics", "0002_metricsrun_reconcile"),
    ]

    # Backwards leaves the new expression in place: it admits exactly the rows the old one did.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
