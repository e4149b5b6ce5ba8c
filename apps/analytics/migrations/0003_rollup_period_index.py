from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("analytics", "0002_event_grant")]

    operations = [
        migrations.AddIndex(
            model_name="rollup",
            index=models.Index(fields=["grain", "bucket"], name="analytics_rollup_period"),
        ),
    ]
