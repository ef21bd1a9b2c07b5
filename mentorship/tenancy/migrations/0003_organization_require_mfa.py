from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0002_peopleimport"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="require_mfa",
            field=models.BooleanField(
                default=False,
                help_text="Members without an authenticator app are sent to set one up before they can use the "
                "organization.",
                verbose_name="require two-factor authentication",
            ),
        ),
    ]
