"""The ledger's accounts, transactions, entries and head, moved here from `books` (whose
0001 created their tables and 0002 their triggers). State only: the tables keep their names
(`db_table`), so nothing is copied and an existing database migrates with a plain `migrate`;
`books.0003` then forgets them. Their content types follow them (`marketplace.moves`).
"""

import django.db.models.deletion
from django.db import migrations, models

from marketplace.moves import content_types_moved


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('books', '0002_ledger_guard_triggers'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='LedgerHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('last_seq', models.BigIntegerField(default=0)),
                ('last_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
            options={
                'db_table': 'books_ledgerhead',
            },
        ),
        migrations.CreateModel(
            name='Account',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('provider_clearing', '支付渠道待清算'), ('platform_fees', '平台服务费'), ('payouts_in_transit', '打款中'), ('refunds_payable', '待退款'), ('farm', '农户'), ('promoter', '推广者'), ('benefit_project', '公益项目')], max_length=32)),
                ('holder_id', models.BigIntegerField(default=0)),
                ('bucket', models.CharField(blank=True, choices=[('', '-'), ('pending', '待结算'), ('available', '可提现')], default='', max_length=16)),
                ('name', models.CharField(blank=True, max_length=120)),
                ('balance_fen', models.BigIntegerField(default=0)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'db_table': 'books_account',
                'ordering': ['kind', 'holder_id', 'bucket'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'holder_id', 'bucket'), name='account_one_per_holder_bucket'), models.CheckConstraint(condition=models.Q(('balance_fen__gte', 0), ('bucket', 'available'), ('kind', 'provider_clearing'), _connector='OR'), name='account_balance_not_negative')],
            },
        ),
        migrations.CreateModel(
            name='LedgerTransaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=100, unique=True)),
                ('kind', models.CharField(choices=[('payment', '付款成功'), ('refund', '退款'), ('cancellation', '付款后取消'), ('release', '待结算转可提现'), ('commission_settled', '佣金结算'), ('payout_created', '发起打款'), ('payout_paid', '打款成功'), ('payout_failed', '打款失败'), ('adjustment', '调整')], max_length=32)),
                ('order_id', models.BigIntegerField(blank=True, null=True)),
                ('memo', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'ledger transaction',
                'db_table': 'books_ledgertransaction',
                'ordering': ['-id'],
                'indexes': [models.Index(fields=['order_id'], name='ledger_txn_order')],
            },
        ),
        migrations.CreateModel(
            name='Entry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(unique=True)),
                ('kind', models.CharField(choices=[('sale', '货款'), ('shipping', '运费'), ('platform_fee', '平台服务费'), ('commission', '推广佣金'), ('benefit_pledge', '公益认捐'), ('refund', '退款'), ('payout', '提现打款'), ('adjustment', '调整'), ('received', '收款'), ('release', '转为可提现')], max_length=16)),
                ('amount_fen', models.BigIntegerField()),
                ('order_id', models.BigIntegerField(blank=True, null=True)),
                ('shipment_id', models.BigIntegerField(blank=True, null=True)),
                ('memo', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField()),
                ('prev_hash', models.CharField(max_length=64)),
                ('hash', models.CharField(max_length=64)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='ledger.account')),
                ('transaction', models.ForeignKey(db_column='transaction_key', on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='ledger.ledgertransaction', to_field='key')),
            ],
            options={
                'verbose_name_plural': 'entries',
                'db_table': 'books_entry',
                'ordering': ['-seq'],
                'indexes': [models.Index(fields=['account', 'seq'], name='entry_account_seq'), models.Index(fields=['order_id'], name='entry_order')],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount_fen', 0), _negated=True), name='entry_amount_not_zero')],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[content_types_moved(
                ("account", "ledgertransaction", "entry", "ledgerhead"), "books", "ledger")],
        ),
    ]
