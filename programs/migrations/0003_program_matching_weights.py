from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0002_mentorships"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="matching_weights",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Weight per matching factor (0-10), over the defaults for those not set.",
            ),
        ),
    ]
