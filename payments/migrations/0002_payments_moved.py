"""Payment and PaymentWebhookEvent, moved here from `orders` (which made their tables). State
only: the tables keep their names (`db_table`), so nothing is copied and an existing database
migrates with a plain `migrate`; a refund's payment is this app's Payment, and `orders.0011`
then forgets both. Their content types follow them (`marketplace.moves`).
"""

import django.db.models.deletion
from django.db import migrations, models

from marketplace.moves import content_types_moved


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0010_harvests'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('payments', '0001_refunds'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='Payment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=32)),
                ('method', models.CharField(blank=True, max_length=32)),
                ('provider_ref', models.CharField(max_length=128)),
                ('transaction_id', models.CharField(blank=True, max_length=128)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12)),
                ('currency', models.CharField(default='CNY', max_length=3)),
                ('status', models.CharField(choices=[('pending', '待确认'), ('succeeded', '已支付'), ('failed', '失败'), ('closed', '已关闭')], default='pending', max_length=16)),
                ('action', models.JSONField(blank=True, null=True)),
                ('booked', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('succeeded_at', models.DateTimeField(blank=True, null=True)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='orders.order')),
            ],
            options={
                'db_table': 'orders_payment',
                'ordering': ['id'],
                'indexes': [models.Index(fields=['status', 'created_at'], name='payment_status_created')],
                'constraints': [models.UniqueConstraint(fields=('provider', 'provider_ref'), name='payment_ref_unique_per_provider'), models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='payment_amount_positive')],
            },
        ),
        migrations.AlterField(
            model_name='refund',
            name='payment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='payments.payment'),
        ),
        migrations.CreateModel(
            name='PaymentWebhookEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=32)),
                ('event_id', models.CharField(max_length=128)),
                ('event_type', models.CharField(max_length=64)),
                ('payload', models.JSONField()),
                ('outcome', models.CharField(blank=True, max_length=32)),
                ('received_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'db_table': 'orders_paymentwebhookevent',
                'ordering': ['-received_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('provider', 'event_id'), name='webhook_event_unique_per_provider')],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations,
            database_operations=[content_types_moved(
                ("payment", "paymentwebhookevent"), "orders", "payments")],
        ),
    ]
