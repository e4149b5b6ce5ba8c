import django.contrib.postgres.fields
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

EVENT_TABLE = """
CREATE TABLE analytics_event (
    id bigserial NOT NULL,
    "timestamp" timestamptz NOT NULL,
    type varchar(40) NOT NULL,
    user_id bigint NULL,
    api_key_id bigint NULL,
    grant_id bigint NULL,
    data jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY ("timestamp", id)
) PARTITION BY RANGE ("timestamp");
CREATE INDEX analytics_event_timestamp_brin ON analytics_event USING brin ("timestamp");
CREATE INDEX analytics_event_type_time ON analytics_event (type, "timestamp");
"""


def partitions_create(apps, schema_editor):
    from apps.analytics.partitions import partitions_ensure

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema_name = cursor.fetchone()[0]
        partitions_ensure(schema_name, today=timezone.now().date(),
                          months_ahead=settings.ANALYTICS_PARTITION_MONTHS_AHEAD, cursor=cursor)


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(EVENT_TABLE, reverse_sql="DROP TABLE analytics_event"),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="AnalyticsEvent",
                    fields=[
                        ("pk", models.CompositePrimaryKey("timestamp", "id", blank=True,
                                                          editable=False, primary_key=True,
                                                          serialize=False)),
                        ("id", models.BigIntegerField()),
                        ("timestamp", models.DateTimeField()),
                        ("type", models.CharField(max_length=40)),
                        ("user_id", models.BigIntegerField(null=True)),
                        ("api_key_id", models.BigIntegerField(null=True)),
                        ("grant_id", models.BigIntegerField(null=True)),
                        ("data", models.JSONField(default=dict)),
                    ],
                    options={"db_table": "analytics_event", "ordering": ["-timestamp", "-id"],
                             "managed": False},
                ),
            ],
        ),
        migrations.RunPython(partitions_create, migrations.RunPython.noop),
        migrations.CreateModel(
            name="Rollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("grain", models.CharField(choices=[("h", "hour"), ("d", "day")], max_length=1)),
                ("bucket", models.DateTimeField()),
                ("type", models.CharField(max_length=40)),
                ("dim", models.CharField(blank=True, default="", max_length=300)),
                ("count", models.BigIntegerField(default=0)),
                ("errors", models.BigIntegerField(default=0)),
                ("value1", models.BigIntegerField(default=0)),
                ("value2", models.BigIntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=6, default=0, max_digits=24)),
                ("duration_ms", models.FloatField(default=0)),
                ("histogram", django.contrib.postgres.fields.ArrayField(
                    base_field=models.BigIntegerField(), blank=True, default=list, size=None)),
            ],
            options={"db_table": "analytics_rollup"},
        ),
        migrations.AddConstraint(
            model_name="rollup",
            constraint=models.UniqueConstraint(fields=("grain", "type", "bucket", "dim"),
                                               name="analytics_rollup_key"),
        ),
        migrations.CreateModel(
            name="ActiveUserDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("day", models.DateField()),
                ("user_id", models.BigIntegerField()),
                ("events", models.BigIntegerField(default=0)),
            ],
            options={
                "db_table": "analytics_active_user_day",
                "indexes": [models.Index(fields=["user_id", "day"],
                                         name="analytics_user_first_day")],
            },
        ),
        migrations.AddConstraint(
            model_name="activeuserday",
            constraint=models.UniqueConstraint(fields=("day", "user_id"),
                                               name="analytics_active_user_day_key"),
        ),
    ]
