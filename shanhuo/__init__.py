"""The project: settings, the URL configuration, the one NinjaAPI, the Celery app, wsgi and the
embedded beat. It wires the apps together; no app imports it."""

from shanhuo.celery import app as celery_app

__all__ = ["celery_app"]
