"""pg_trgm in the public schema, where every tenant's search_path finds it: the mirror's
trigram indexes serve FIND() and SEARCH() filters. A database role that may not create
it (pg_trgm is a trusted extension: the database's owner may) leaves the platform
working without those indexes."""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)


def create_pg_trgm(apps, schema_editor):
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    except DatabaseError as error:
        logger.warning("pg_trgm could not be created (%s); text searches of the mirror "
                       "will scan their tables", error)


class Migration(migrations.Migration):

    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunPython(create_pg_trgm, migrations.RunPython.noop, atomic=False)]
