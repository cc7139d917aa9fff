"""Refund rows; a payment the orders app marked `refunded` becomes a succeeded payment with one
whole refund, and the payment that paid each paid order is marked `booked`."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forwards(apps, schema_editor):
    Payment = apps.get_model("orders", "Payment")
    Refund = apps.get_model("payments", "Refund")
    for payment in Payment.objects.filter(status__in=["succeeded", "refunded"]).select_related(
            "order").order_by("id"):
        order = payment.order
        if order.paid_at is not None and payment.amount == order.total and not Payment.objects \
                .filter(order=order, booked=True).exists():
            payment.booked = True
        if payment.status == "refunded":
            Refund.objects.create(
                order=order, payment=payment, amount=payment.amount, reason="退款",
                number=f"RFM{payment.pk}", key=f"migrated:payment:{payment.pk}",
                status="succeeded", refund_id=payment.refund_ref,
                settled_at=payment.refunded_at,
            )
            payment.status = "succeeded"
        payment.save(update_fields=["booked", "status"])


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('orders', '0005_payment_attempts_and_platform_ids'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Refund',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=64, unique=True)),
                ('key', models.CharField(max_length=128, unique=True)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12)),
                ('reason', models.CharField(max_length=80)),
                ('status', models.CharField(choices=[('pending', '退款中'), ('succeeded', '已退款'), ('failed', '退款失败')], default='pending', max_length=16)),
                ('refund_id', models.CharField(blank=True, max_length=128)),
                ('failure', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('settled_at', models.DateTimeField(blank=True, null=True)),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='orders.order')),
                ('payment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='orders.payment')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['id'],
                'indexes': [models.Index(fields=['status', 'created_at'], name='refund_status_created')],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='refund_amount_positive')],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
]
