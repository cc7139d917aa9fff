"""The ledger's models now live in `ledger` (its 0001): `books` forgets them, in Django's state
only (their tables stay, named as before), and a payout's account is `ledger.Account`."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('books', '0002_ledger_guard_triggers'),
        ('ledger', '0001_initial'),
    ]

    state_operations = [
        migrations.RemoveField(
            model_name='entry',
            name='account',
        ),
        migrations.AlterField(
            model_name='payout',
            name='account',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payouts', to='ledger.account'),
        ),
        migrations.RemoveField(
            model_name='entry',
            name='transaction',
        ),
        migrations.DeleteModel(
            name='LedgerHead',
        ),
        migrations.DeleteModel(
            name='Account',
        ),
        migrations.DeleteModel(
            name='Entry',
        ),
        migrations.DeleteModel(
            name='LedgerTransaction',
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
