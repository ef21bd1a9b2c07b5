"""Erasure may redact an erased member's labels and details in the log; nothing else about the log changes.

The trigger of 0001 is replaced by one that also lets through an UPDATE that (a) runs in a transaction that said
`SET LOCAL audit.redacting = 'on'`, (b) changes only actor_label, target_label and details, and (c) changes them
only to the erasure markers: a label becomes "(erased)" or "Member #<id> (erased)"; details keep their keys, and a
changed value becomes "(erased)". So even the redaction path cannot forge history, only blank it. DELETE stays
refused (beyond the organization's own cascade), and the flag is no permission: any role may set a custom setting,
which is why the marker check, and the app role's column grant (audit/apps.py), are what hold.
"""

from django.db import migrations

REDACTING = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM tenancy_organization WHERE id = OLD.organization_id) THEN
            RETURN NULL;
        END IF;
    ELSIF NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
        AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NULL;
    ELSIF current_setting('audit.redacting', true) = 'on'
        AND (to_jsonb(NEW) - 'actor_label' - 'target_label' - 'details')
            = (to_jsonb(OLD) - 'actor_label' - 'target_label' - 'details')
        AND (NEW.actor_label = OLD.actor_label OR NEW.actor_label ~ '^(Member #[0-9]+ )?\\(erased\\)$')
        AND (NEW.target_label = OLD.target_label OR NEW.target_label ~ '^(Member #[0-9]+ )?\\(erased\\)$')
        AND (NEW.details = OLD.details OR (
            jsonb_typeof(OLD.details) = 'object' AND jsonb_typeof(NEW.details) = 'object'
            -- the same keys, and each value either kept or the marker
            AND NOT EXISTS (
                SELECT 1 FROM jsonb_each(OLD.details) AS was FULL JOIN jsonb_each(NEW.details) AS now USING (key)
                WHERE was.key IS NULL OR now.key IS NULL
                    OR (now.value <> was.value AND now.value <> '"(erased)"'::jsonb)
            )
        )) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of audit_auditevent % is not allowed', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$;
"""

# The function of 0001, as it was.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM tenancy_organization WHERE id = OLD.organization_id) THEN
            RETURN NULL;
        END IF;
    ELSIF NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
        AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of audit_auditevent % is not allowed', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_sso_changed_action"),
    ]

    operations = [
        migrations.RunSQL(REDACTING, APPEND_ONLY),
    ]
