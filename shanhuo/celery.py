"""The one Celery app. Tasks live in each app's tasks.py and are found by autodiscovery; every
task is a `marketplace.retry.ReliableTask` (the one retry policy)."""

import os

from celery import Celery

from marketplace.retry import ReliableTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanhuo.settings")

app = Celery("shanhuo", task_cls=ReliableTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
