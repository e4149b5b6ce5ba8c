from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("airtable", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="field",
            name="observed_type",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
