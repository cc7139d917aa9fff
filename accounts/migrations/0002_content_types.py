"""The admin's permissions and history for users and tokens follow them to `accounts`: their
content types are renamed, not created anew (which would leave the old permissions of staff
groups pointing at models that no longer exist)."""

from django.db import migrations

MODELS = ("user", "token")


def _move(apps, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def forwards(apps, schema_editor):
    _move(apps, "marketplace", "accounts")


def backwards(apps, schema_editor):
    _move(apps, "accounts", "marketplace")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
