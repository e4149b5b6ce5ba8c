"""Shared fixtures: two real tenants per test database, clients for each
credential kind, a clean Redis and tenant cache for every test."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from apps.accounts import services as account_services
from apps.accounts.selectors import memberships_of_user, user_get_by_email
from apps.tenants.selectors import tenant_cache_clear, tenant_get_by_slug
from apps.tenants.services import tenant_template_ensure

PASSWORD = "correct-horse-battery-staple-42"


def pytest_collection_modifyitems(config, items):
    """Tests marked `faults` run only when asked for (`make faults`: -m faults)."""
    if "faults" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if item.get_closest_marker("faults") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(
            items=[item for item in items if item.get_closest_marker("faults")])
        items[:] = kept


GUNICORN_CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"


@dataclass
class Team:
    """A tenant with its owner, as a user of the platform would have them."""

    tenant: object
    owner: object
    password: str = PASSWORD

    @property
    def host(self) -> str:
        return f"{self.tenant.slug}.localhost"

    def jwt(self) -> str:
        return account_services.tokens_issue(user=self.owner, tenant=self.tenant)["access"]

    def tokens(self) -> dict:
        return account_services.tokens_issue(user=self.owner, tenant=self.tenant)

    def api_key(self, scopes=("read", "write"), user=None) -> str:
        _key, raw = account_services.api_key_create(
            tenant=self.tenant, user=user or self.owner, name="test key", scopes=list(scopes))
        return raw

    def browser(self, user=None):
        """A Django test client signed in to the pages as ``user`` (the owner), this team
        chosen."""
        from django.test import Client

        client = Client()
        client.force_login(user or self.owner)
        session = client.session
        session["active_tenant_id"] = self.tenant.pk
        session.save()
        return client

    def add_member(self, email: str, role: str):
        """Invite the address and accept as the invitee would (password PASSWORD)."""
        issued = account_services.invitation_create(
            tenant=self.tenant, actor=self.owner, email=email, role=role)
        user, _tenant = account_services.invitation_accept(
            token=issued.link.rsplit("/", 1)[1], password=PASSWORD)
        return user


def committed_team(slug: str) -> Team:
    """A tenant made (or found) outside any test transaction: for tests whose other side is a
    real server process. Call from a module- or session-scoped fixture (it runs before the
    test's transaction opens) inside `django_db_blocker.unblock()`; use a slug of your own.
    The module still needs `pytestmark = pytest.mark.django_db` so the test database exists."""
    email = f"owner@{slug}.example.com"
    user = user_get_by_email(email)
    if user is None:
        user, tenant = account_services.user_register(
            email=email, password=PASSWORD, tenant_name=slug.title(), tenant_slug=slug)
    else:
        tenant = memberships_of_user(user=user).first().tenant
    return Team(tenant=tenant, owner=user)


def demo_base_connected(team: Team, server_url: str, *, records: int, sync: bool = True,
                        name: str = "Demo") -> tuple[str, str]:
    """The sandbox's demo base (`records` per table), connected to the team through the
    server's sandbox endpoint and, with `sync`, mirrored by a full sync; (base id, token).
    Call as committed_team is called."""
    from django_tenants.utils import tenant_context

    from apps.airtable import services as airtable
    from apps.sandbox.services import sandbox_seed_demo

    base_id, token = sandbox_seed_demo(records=records)
    with tenant_context(team.tenant):
        airtable.connection_create(name=name, token=token,
                                   endpoint_url=f"{server_url}/sandbox/airtable")
        if sync:
            airtable.base_sync(base_id=base_id, full=True)
    return base_id, token


def _committed_rows(schemas: tuple[str, ...]) -> dict[str, int]:
    """Row counts of every table in these schemas, as other connections see them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema, table_name FROM information_schema.tables "
                       "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE'",
                       [list(schemas)])
        tables = cursor.fetchall()
        counts = {}
        for schema, table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Alpha and Bravo are committed once; tests change them only inside their own
    transactions. Anything committed into them by a test (a thread or a process with a
    connection of its own) would show in the next test that counts rows, in whatever order
    the tests ran: the session ends with an error naming the tables that grew."""
    with django_db_blocker.unblock():
        tenant_template_ensure()
        schemas = tuple(committed_team(slug).tenant.schema_name for slug in ("alpha", "bravo"))
        before = _committed_rows(schemas)
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        grown = {table: (before.get(table, 0), count)
                 for table, count in _committed_rows(schemas).items()
                 if count != before.get(table, 0)}
    assert not grown, (
        "tests committed rows into the shared teams alpha/bravo (use committed_team() with a "
        f"slug of your own for work done outside the test's transaction): {grown}")


@pytest.fixture(autouse=True)
def _clean_state():
    tenant_cache_clear()
    get_redis_connection("default").flushdb()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def team_a(db) -> Team:
    tenant = tenant_get_by_slug("alpha")
    return Team(tenant=tenant, owner=user_get_by_email("owner@alpha.example.com"))


@pytest.fixture
def team_b(db) -> Team:
    tenant = tenant_get_by_slug("bravo")
    return Team(tenant=tenant, owner=user_get_by_email("owner@bravo.example.com"))


@pytest.fixture
def client_for():
    """APIClient with a credential: client_for(jwt=..., key=..., key_header=..., host=...)."""

    def make(*, jwt: str | None = None, key: str | None = None, header: str = "bearer",
             host: str | None = None) -> APIClient:
        client = APIClient()
        extra = {}
        if jwt:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {jwt}"
        if key:
            if header == "bearer":
                extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
            else:
                extra["HTTP_X_API_KEY"] = key
        if host:
            extra["HTTP_HOST"] = host
        client.credentials(**extra)
        return client

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


class PlatformServer:
    """The platform in a real uvicorn process on a free port, on this worker's
    test database. Data it writes is committed; data a test writes inside its
    transaction is invisible to it, so tests talk to it over HTTP. With
    `gunicorn_workers`, the web process as production runs it instead (WSGI)."""

    def __init__(self, database_name: str, env: dict[str, str],
                 gunicorn_workers: int | None = None):
        from config import devservices

        self.port = devservices.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The e-mails it sends (sign-up links) land here, one file per message.
        self._own_mail_folder = "EMAIL_FILE_PATH" not in env
        self.mail_folder = env.get("EMAIL_FILE_PATH") or tempfile.mkdtemp(prefix="platform-mail-")
        base = dict(os.environ)
        base["DATABASE_URL"] = re.sub(r"/[^/]*$", f"/{database_name}", base["DATABASE_URL"])
        base.update({"DJANGO_SETTINGS_MODULE": "config.settings.test",
                     "DATABASE_POOL": "true", "EMAIL_URL": "filemail://",
                     "EMAIL_FILE_PATH": self.mail_folder, **env})
        self.log = tempfile.NamedTemporaryFile(prefix="platform-server-", suffix=".log",
                                               delete=False)
        command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host",
                   "127.0.0.1", "--port", str(self.port), "--lifespan", "on",
                   "--log-level", "warning"]
        if gunicorn_workers:
            base["DATABASE_POOL"] = "false"
            command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
                       "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
                       "--workers", str(gunicorn_workers), "--log-level", "warning"]
        self.process = subprocess.Popen(command, env=base, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.output()
                self.stop()
                raise RuntimeError(f"platform server did not start:\n{output}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def output(self) -> str:
        with open(self.log.name) as handle:
            return handle.read()[-5000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        os.unlink(self.log.name)
        if self._own_mail_folder:
            shutil.rmtree(self.mail_folder, ignore_errors=True)


@pytest.fixture(scope="session")
def platform_server_factory(django_db_setup):
    """platform_server_factory(**env) -> PlatformServer, one per distinct env, per worker."""
    servers: dict[tuple, PlatformServer] = {}
    database_name = connection.settings_dict["NAME"]

    def make(**env: str) -> PlatformServer:
        key = tuple(sorted(env.items()))
        if key not in servers:
            servers[key] = PlatformServer(database_name, env)
        return servers[key]

    yield make
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def platform_server(platform_server_factory) -> PlatformServer:
    return platform_server_factory()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture
def page():
    """A page in Debian's chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", headless=True,
            args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()
