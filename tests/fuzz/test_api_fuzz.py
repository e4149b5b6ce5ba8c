"""Schemathesis against the OpenAPI document of a running server, with a seeded tenant and
its API key, as its own command line would run it: the examples, coverage and fuzzing
phases, positive and negative data, and every check that applies to single requests. On top
of them, two of ours: no input gives a 5xx, and every error is problem+json.

The suite (and CI) runs 3 examples per operation; `make fuzz` runs FUZZ_EXAMPLES (default
50). FUZZ_REPORT=path writes every failure with its curl command; FUZZ_OPERATIONS=regex
runs only the operations whose path matches."""

from __future__ import annotations

import json
import os
from collections import Counter
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.django_db

URL_QUERY_MAX = 7000
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# Every built-in check is on. `use_after_free`, `ensure_resource_availability` and
# `object_level_authorization` only judge sequences of requests (a stateful run, or two
# identities), so in these single-request tests they have nothing to look at; the isolation
# matrix (tests/core/test_isolation_matrix.py) is where another tenant's credential is tried.
CONFIG = f"""
[generation]
mode = "all"
max-examples = {EXAMPLES}
deterministic = true
database = "none"

[checks]
enabled = true

[checks.positive_data_acceptance]
# Run by `positive_data_accepted` below, which knows the rules a schema cannot state.
enabled = false

[checks.not_a_server_error]
# Run by `no_server_error` below, which also lets through a 5xx the document gives a body
# of its own: readiness' 503 while a dependency is down (no worker runs here).
enabled = false

[auth]
auto-signup = false

[auth.openapi.ApiKey]
api_key = "{{key}}"
"""


@pytest.fixture(scope="session")
def api_schema(fuzz_target):
    document = httpx.get(f"{fuzz_target['url']}/api/schema/?format=json", timeout=60).json()
    config = SchemathesisConfig.from_str(CONFIG.replace("{key}", fuzz_target["key"]))
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.config.update(base_url=fuzz_target["url"], request_timeout=60)

    if os.environ.get("FUZZ_OPERATIONS"):
        # A regular expression over paths, to run a few operations while fixing them.
        schema = schema.include(path_regex=os.environ["FUZZ_OPERATIONS"])
    return schema


# Rules JSON Schema cannot state: between two fields, or on what the tenant holds. On these
# operations a schema-valid request may still be refused (400, 413, 415 or 422), as long as
# the answer names one of these fields (`errors`) or codes; any other refusal is a failure.
STATEFUL_RULES: dict[str, set[str]] = {
    # from < to, and a summary spans at most 400 days (31 by the hour).
    "GET /api/v1/analytics/events": {"from"},
    "GET /api/v1/analytics/events.csv": {"from"},
    "GET /api/v1/analytics/summary": {"from"},
    "GET /api/v1/analytics/summary.csv": {"from"},
    # A reserved team address, a common or all-digit password, one like the e-mail address.
    "POST /api/v1/auth/register": {"tenant_slug", "password"},
    "POST /api/v1/teams": {"slug"},
    # A token must be one an e-mail carried.
    "POST /api/v1/auth/register/confirm": {"ERROR_SIGNUP_LINK_INVALID"},
    "POST /api/v1/invitations/accept": {"ERROR_INVITATION_INVALID", "password"},
    # The endpoints the operator allows (AIRTABLE_ENDPOINT_URLS, the platform's own sandbox).
    "POST /api/v1/airtable/connections": {"endpoint_url"},
    "PATCH /api/v1/airtable/connections/{connection_id}": {"endpoint_url"},
    # The provider the key or base URL is for; where a base URL may point
    # (CHAT_ALLOWED_BASE_URLS, no private address).
    "PUT /api/v1/chat/settings": {"provider", "base_url"},
    "PATCH /api/v1/chat/settings": {"provider", "base_url"},
    # The file types the operator allows (ALLOWED_EXTENSIONS), and what its bytes say.
    "POST /api/v1/files": {"file"},
    # A workflow's trigger and steps are checked against the trigger and step registries
    # (types, their params, references between steps), which the document leaves to
    # docs/workflows.md.
    "POST /api/v1/workflows": {"trigger", "steps"},
    "PATCH /api/v1/workflows/{workflow_id}": {"trigger", "steps"},
    # An offset belongs to the query that gave it.
    # A sort direction needs its sort field (sort[0][field] with sort[0][direction]).
    "GET /api/v1/airtable/bases/{base_id}/tables/{table}/records": {"offset", "sort"},
    "POST /api/v1/airtable/bases/{base_id}/tables/{table}/records/listRecords": {"offset"},
}


def _named_in(response, allowed: set[str]) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    names = set((body.get("errors") or {}).keys()) or {body.get("code")}
    return bool(names) and all(name.split("[")[0].split(".")[0] in allowed or name in allowed
                               for name in names)


@schemathesis.check
def positive_data_accepted(ctx, response, case):
    """Schemathesis' positive_data_acceptance, with STATEFUL_RULES."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        allowed = STATEFUL_RULES.get(case.operation.label, set())
        if response.status_code in (400, 413, 415, 422) and _named_in(response, allowed):
            return None
        raise


def _shown(case, response) -> str:
    return (f"{case.method} {case.formatted_path} -> {response.status_code}\n"
            f"{case.as_curl_command()}")


class ServerError(Failure):
    code = "PA001"
    kind_title = "Server error"


class NotAProblem(Failure):
    code = "PA002"
    kind_title = "Error answer is not problem+json"


def _content_type(response) -> str:
    return (response.headers.get("content-type") or [""])[0]


def _documented_otherwise(case, response) -> bool:
    """The document gives this status a body of its own, not a problem (the health
    document's 503)."""
    documented = case.operation.definition.raw.get("responses", {}).get(
        str(response.status_code)) or {}
    media = set(documented.get("content", {}))
    return "application/problem+json" not in media and \
        _content_type(response).split(";")[0] in media


@schemathesis.check
def no_server_error(ctx, response, case):
    if response.status_code >= 500 and not _documented_otherwise(case, response):
        raise ServerError(operation=case.operation.label,
                          message=f"{_shown(case, response)}\n{response.text[:500]}")
    return None


@schemathesis.check
def errors_are_problems(ctx, response, case):
    content_type = _content_type(response)
    if response.status_code >= 400 and not content_type.startswith(
            "application/problem+json") and not _documented_otherwise(case, response):
        raise NotAProblem(operation=case.operation.label,
                          message=f"{_shown(case, response)}\n{content_type}")
    return None


@pytest.mark.timeout(3600)
def test_the_api_does_what_its_document_says(api_schema):
    failures: list[tuple[Failure, str]] = []
    cases, too_long = Counter(), Counter()

    def run(case):
        if len(urlencode(case.query or {}, doseq=True)) > URL_QUERY_MAX:
            # The whole URL is bounded by the HTTP server (gunicorn's request line, 8 KB),
            # which no parameter's schema can state: such a request never reaches the API
            # (tests/core/test_request_line.py); longer queries go in POST …/listRecords.
            too_long[case.operation.label] += 1
            return
        cases[case.operation.label] += 1
        response = case.call()
        try:
            case.validate_response(response)
        except (FailureGroup, Failure) as error:
            shown = f"{_shown(case, response)}\n{response.text[:300]}"
            found = error.exceptions if isinstance(error, FailureGroup) else [error]
            failures.extend((failure, shown) for failure in found)

    operations = 0
    for result in get_all_tests(schema=api_schema, test_func=run, settings=None,
                                given_kwargs=None):
        assert isinstance(result, Ok), result
        _, test = result.ok()
        operations += 1
        test()
    by_kind = Counter(type(failure).__name__ for failure, _ in failures)
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as report:
            json.dump([{"kind": type(f).__name__, "operation": f.operation, "title": f.title,
                        "message": f.message, "request": shown} for f, shown in failures],
                      report, indent=1)
    failing = {failure.operation for failure, _ in failures}
    print(f"\nfuzz: {operations} operations, {sum(cases.values())} cases "
          f"({sum(too_long.values())} left out, their URL over {URL_QUERY_MAX} bytes), "
          f"{len(failing)} failing ({len(failures)} failures: {dict(by_kind)})")
    assert operations >= (1 if os.environ.get("FUZZ_OPERATIONS") else 50)
    # Two of each kind of failure on each operation, so a rare one is not hidden.
    firsts: dict[tuple[str, str], list] = {}
    for failure, request in failures:
        firsts.setdefault((type(failure).__name__, failure.operation), []).append(
            (failure, request))
    shown = "\n\n".join(f"[{kind}] {f.operation}: {f.title}\n{f.message}\n{request}"
                        for (kind, _), found in firsts.items() for f, request in found[:2])
    assert not failures, f"{len(failures)} failures on {len(failing)} operations:\n{shown}"
