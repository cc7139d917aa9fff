import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanhuo.settings")
application = get_wsgi_application()

# Only a serving process imports this module (runserver's child, a gunicorn worker): the
# embedded default runs its periodic tasks here (shanhuo/scheduler.py; off unless
# EMBEDDED_BEAT).
from shanhuo import scheduler  # noqa: E402

scheduler.start()
