"""The Celery application: configured from Django settings (the CELERY_* names), tasks found in
each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lpmplanner.settings")

app = Celery("lpmplanner")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
