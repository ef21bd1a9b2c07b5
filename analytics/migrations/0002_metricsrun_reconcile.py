from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="metricsrun",
            name="enqueued_at",
            field=models.DateTimeField(
                blank=True, help_text="When the reconciler last sent its task again (else: created_at).", null=True
            ),
        ),
        migrations.AddField(
            model_name="metricsrun",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, help_text="How often the reconciler re-enqueued it."),
        ),
    ]
