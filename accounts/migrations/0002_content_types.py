"""The admin's permissions and history for users and tokens follow them to `accounts`: their
content types are renamed, not created anew (which would leave the old permissions of staff
groups pointing at models that no longer exist)."""

from django.db import migrations

from marketplace.moves import content_types_moved


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [content_types_moved(("user", "token"), "marketplace", "accounts")]
