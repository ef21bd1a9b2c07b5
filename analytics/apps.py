from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _snapshot_saved(sender, instance, **kwargs):
    from analytics.dashboard_cache import snapshots_changed

    snapshots_changed(instance.organization_id)


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self):
        # Snapshot rows saved or deleted through the ORM make the dashboard's cached bodies unreachable
        # (analytics/dashboard_cache.py); the computation writes with SQL and moves the metrics version instead.
        for signal in (post_save, post_delete):
            signal.connect(_snapshot_saved, sender="analytics.MetricSnapshot", dispatch_uid=f"dashboard_cache_{signal}")
