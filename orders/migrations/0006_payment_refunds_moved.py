"""The refund columns of Payment, copied into payments.Refund by payments 0001."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0005_payment_attempts_and_platform_ids"),
        ("payments", "0001_refunds"),
    ]

    operations = [
        migrations.RemoveField(model_name="payment", name="refund_ref"),
        migrations.RemoveField(model_name="payment", name="refunded_at"),
    ]
