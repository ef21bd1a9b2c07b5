from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mentorship.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from mentorship.accounts import session_timeouts, signals  # noqa: F401  (connect the receivers)
