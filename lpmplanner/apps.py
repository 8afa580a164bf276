"""The project itself as an app, for what spans the three: roles, accounts, the dashboard."""

from django.apps import AppConfig


class LpmplannerConfig(AppConfig):
    name = "lpmplanner"
    verbose_name = "lpmplanner"
