"""Payments through real platforms: the method, the platform's transaction id, the action the
app performs, and which payment paid the order (`booked`). Refunds move to payments.Refund
(payments 0001 copies them, orders 0006 drops the old columns)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0004_order_platform_fee_rate'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='action',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='payment',
            name='booked',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='payment',
            name='checked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='payment',
            name='closed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='payment',
            name='method',
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name='payment',
            name='transaction_id',
            field=models.CharField(blank=True, max_length=128),
        ),
        migrations.AlterField(
            model_name='payment',
            name='status',
            field=models.CharField(choices=[('pending', '待确认'), ('succeeded', '已支付'), ('failed', '失败'), ('closed', '已关闭')], default='pending', max_length=16),
        ),
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(fields=['status', 'created_at'], name='payment_status_created'),
        ),
    ]
