from django.db import migrations


def install(apps, schema_editor):
    from ledger import triggers

    triggers.install(schema_editor)


def remove(apps, schema_editor):
    from ledger import triggers

    triggers.remove(schema_editor)


def create_head(apps, schema_editor):
    apps.get_model("books", "LedgerHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("books", "0001_ledger_payouts_statements")]

    operations = [
        migrations.RunPython(install, remove),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
