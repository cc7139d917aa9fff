"""Usernames become unique as people read them (accounts.usernames.username_key). Accounts that
already collide keep signing in with their own username: the first (lowest id) gets the plain
key, each later one the key with `#<id>` appended, so no existing row stops the unique index."""

import unicodedata

from django.db import migrations, models


def _key(username: str) -> str:
    # accounts.usernames.username_key as of this migration
    return unicodedata.normalize("NFKC", username).casefold()


def fill_keys(apps, schema_editor):
    user_model = apps.get_model("accounts", "User")
    taken: set[str] = set()
    for user in user_model.objects.order_by("pk").only("pk", "username").iterator():
        key = _key(user.username)
        if key in taken:
            key = f"{key}#{user.pk}"
        taken.add(key)
        user_model.objects.filter(pk=user.pk).update(username_key=key)


class Migration(migrations.Migration):

    dependencies = [("accounts", "0002_content_types")]

    operations = [
        migrations.AddField(
            model_name="user", name="username_key",
            field=models.CharField(editable=False, max_length=160, null=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="user", name="username_key",
            field=models.CharField(editable=False, max_length=160, unique=True),
        ),
    ]
