from django.db import migrations


def install(apps, schema_editor):
    from benefit import triggers

    triggers.install(schema_editor)


def remove(apps, schema_editor):
    from benefit import triggers

    triggers.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("benefit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
