"""Row-level security for tenant tables, added by a migration operation next to each CreateModel.

    migrations.CreateModel(name="Department", ...),
    EnableRowLevelSecurity("Department"),

The policy admits a row only when its organization_id equals the scope's `app.current_org_id` (empty or unset:
no rows), for reads (USING) and writes (WITH CHECK). FORCE makes it bind the table owner too.

The setting is read in a scalar subquery: PostgreSQL evaluates it once per statement (an InitPlan) and compares
each row with a constant, instead of calling current_setting() for every row it scans, which made a scan of a
million rows take twice as long (the figure: tenancy migration 0005, which rewrote the older policies).
"""

from django.db import migrations

POLICY_NAME = "tenant_isolation"
POLICY_EXPRESSION = "organization_id = (SELECT NULLIF(current_setting('app.current_org_id', true), '')::bigint)"
POLICY_CLAUSES = f"USING ({POLICY_EXPRESSION}) WITH CHECK ({POLICY_EXPRESSION})"  # reads and writes alike


def policies_rewrite(schema_editor) -> int:
    """Give every tenant_isolation policy the current POLICY_EXPRESSION; returns how many were rewritten."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_policies WHERE policyname = %s AND schemaname = current_schema()", [POLICY_NAME]
        )
        tables = [row[0] for row in cursor.fetchall()]
    for table in tables:
        schema_editor.execute(f"ALTER POLICY {POLICY_NAME} ON {schema_editor.quote_name(table)} {POLICY_CLAUSES}")
    return len(tables)


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass  # no change to the model state

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = schema_editor.quote_name(self._table(app_label, to_state))
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"CREATE POLICY {POLICY_NAME} ON {table} {POLICY_CLAUSES}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable row-level security on {self.model_name}"

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name], {}

    @property
    def migration_name_fragment(self):
        return f"rls_{self.model_name.lower()}"
