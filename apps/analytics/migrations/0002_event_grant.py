from django.db import migrations, models

# The connection an event came through, named as the tool-call audit names it
# (apps.core.tools.ToolContext.grant), instead of a numeric id.
GRANT = """
ALTER TABLE analytics_event DROP COLUMN grant_id;
ALTER TABLE analytics_event ADD COLUMN "grant" varchar(200) NOT NULL DEFAULT '';
"""
GRANT_REVERSE = """
ALTER TABLE analytics_event DROP COLUMN "grant";
ALTER TABLE analytics_event ADD COLUMN grant_id bigint NULL;
"""


class Migration(migrations.Migration):

    dependencies = [("analytics", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(GRANT, reverse_sql=GRANT_REVERSE)],
            state_operations=[
                migrations.RemoveField(model_name="analyticsevent", name="grant_id"),
                migrations.AddField(model_name="analyticsevent", name="grant",
                                    field=models.CharField(blank=True, default="",
                                                           max_length=200)),
            ],
        ),
    ]
