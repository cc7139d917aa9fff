"""Payment and PaymentWebhookEvent now live in `payments` (its 0002): `orders` forgets them, in
Django's state only (their tables stay, named as before)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0010_harvests'),
        ('payments', '0002_payments_moved'),
    ]

    state_operations = [
        migrations.DeleteModel(name='PaymentWebhookEvent'),
        migrations.DeleteModel(name='Payment'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
