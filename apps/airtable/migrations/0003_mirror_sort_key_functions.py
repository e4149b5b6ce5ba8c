"""Sort keys of lookup values as immutable functions of the stored value, so that an
expression index can hold them: PostgreSQL refuses a subquery in an index expression,
and a sort by a lookup otherwise computes every row's key before it can order."""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION airtable_text_items(value jsonb, fold boolean) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'array' AND jsonb_array_length(value) > 0
        THEN ARRAY(SELECT CASE WHEN jsonb_typeof(_i) = 'string'
                               THEN CASE WHEN fold THEN lower(_i #>> '{}') ELSE _i #>> '{}' END
                          END
                   FROM jsonb_array_elements(value) WITH ORDINALITY AS _s(_i, _o) ORDER BY _o)
    END
$$;
CREATE OR REPLACE FUNCTION airtable_number_items(value jsonb) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'array' AND jsonb_array_length(value) > 0
        THEN ARRAY(SELECT CASE WHEN jsonb_typeof(_i) = 'number' THEN (_i)::float8 END
                   FROM jsonb_array_elements(value) WITH ORDINALITY AS _s(_i, _o) ORDER BY _o)
    END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS airtable_text_items(jsonb, boolean);
DROP FUNCTION IF EXISTS airtable_number_items(jsonb);
"""


class Migration(migrations.Migration):

    dependencies = [
        ("airtable", "0002_field_observed_type"),
    ]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]
