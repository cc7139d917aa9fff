from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_alter_report_kind")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="run_id",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
    ]
