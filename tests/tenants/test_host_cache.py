"""A tenant deactivated in one process stops being served through its host in all."""

from django_redis import get_redis_connection

from apps.tenants import selectors
from apps.tenants.models import Domain


def test_a_change_elsewhere_invalidates_this_process_cache(team_a):
    host = "cache-check.localhost"
    Domain.objects.create(domain=host, tenant=team_a.tenant, is_primary=False)
    assert selectors.tenant_get_by_host(host).is_active is True
    # Another process deactivates it: the row changes and the generation moves on, but
    # this process's own dictionary is untouched.
    type(team_a.tenant).objects.filter(pk=team_a.tenant.pk).update(is_active=False)
    get_redis_connection("default").incr(selectors.GENERATION_KEY)
    assert selectors.tenant_get_by_host(host).is_active is False


def test_saving_a_tenant_moves_the_generation(team_a):
    before = selectors._generation()
    team_a.tenant.save(update_fields=["name"])
    assert selectors._generation() == before + 1
