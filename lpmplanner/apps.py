"""The project itself as an app, for what spans the three: roles, accounts, the dashboard."""

from django.apps import AppConfig


class LpmplannerConfig(AppConfig):
    name = "lpmplanner"
    verbose_name = "lpmplanner"

    def ready(self) -> None:
        # Connect the sign-in signals, the Celery task counters of /metrics, and register the
        # schema's authentication extensions.
        from lpmplanner import metrics  # noqa: F401
        from lpmplanner.security import events, oidc, schema  # noqa: F401
