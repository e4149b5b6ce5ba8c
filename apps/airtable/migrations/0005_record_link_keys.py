"""Kept sort keys of link fields on each mirrored record (a nullable column: adding it
rewrites no row; rows without a key are sorted by the key made on the spot), and the
epoch of each link field's keys."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("airtable", "0004_grid_layout"),
    ]

    operations = [
        migrations.AddField(
            model_name="field",
            name="link_keys_epoch",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="record",
            name="link_keys",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
