from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0012_line_presale_closes_at'),
    ]

    operations = [
        migrations.AlterField(
            model_name='order',
            name='cancel_reason',
            field=models.CharField(blank=True, choices=[
                ('buyer', '买家取消'), ('expired', '超时未付款'), ('staff', '客服取消'),
                ('harvest', '收成不足'), ('harvest_unpaid', '预售已收成，未付款')], max_length=16),
        ),
    ]
