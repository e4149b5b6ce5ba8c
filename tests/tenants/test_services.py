import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from apps.core.exceptions import ApplicationError
from apps.tenants.selectors import tenant_get_by_host
from apps.tenants.services import tenant_create, tenant_delete

pytestmark = pytest.mark.django_db


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                       [schema])
        return {row[0] for row in cursor.fetchall()}


def test_new_tenant_is_a_clone_of_the_template():
    tenant = tenant_create(name="Delta", slug="delta")
    assert tenant.schema_name == "t_delta"
    assert schema_exists("t_delta")
    assert _tables("t_delta") == _tables("tenant_template")
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "t_delta".django_migrations')
        cloned = cursor.fetchone()[0]
        cursor.execute('SELECT count(*) FROM "tenant_template".django_migrations')
        assert cloned == cursor.fetchone()[0] > 0
    assert tenant_get_by_host("delta.localhost") == tenant


def test_tenant_schemas_hold_separate_data():
    one = tenant_create(name="One", slug="tenant-one")
    two = tenant_create(name="Two", slug="tenant-two")
    with schema_context(one.schema_name), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE probe (v text)")
        cursor.execute("INSERT INTO probe VALUES ('one')")
    with schema_context(two.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('probe')")
        assert cursor.fetchone()[0] is None


@pytest.mark.parametrize("slug", ["", "a", "has space", "-dash", "dash-", "dou--ble",
                                  "public", "www", "x" * 41, "ünï", "a_b"])
def test_bad_slugs_are_refused(slug):
    with pytest.raises(ApplicationError) as error:
        tenant_create(name="Bad", slug=slug)
    assert error.value.code in ("ERROR_TENANT_SLUG_INVALID",)


def test_slug_case_is_folded():
    assert tenant_create(name="Upper", slug="UPPER-Case").slug == "upper-case"


def test_delete_drops_schema():
    tenant = tenant_create(name="Gone", slug="gone")
    tenant_delete(tenant=tenant)
    assert not schema_exists("t_gone")


def test_commands(capsys):
    call_command("create_tenant", "echo-team", name="Echo")
    call_command("list_tenants")
    out = capsys.readouterr().out
    assert "created echo-team (schema t_echo_team)" in out
    assert "echo-team" in out and "echo-team.localhost" in out
