"""Row-level security for tenant tables, added by a migration operation next to each CreateModel.

    migrations.CreateModel(name="Department", ...),
    EnableRowLevelSecurity("Department"),

The policy admits a row only when its organization_id equals the scope's `app.current_org_id` (empty or unset:
no rows), for reads (USING) and writes (WITH CHECK). FORCE makes it bind the table owner too.
"""

from django.db import migrations

POLICY_NAME = "tenant_isolation"
POLICY_EXPRESSION = "organization_id = NULLIF(current_setting('app.current_org_id', true), '')::bigint"


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
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} USING ({POLICY_EXPRESSION}) WITH CHECK ({POLICY_EXPRESSION})"
        )

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
