"""Schemathesis against the OpenAPI document of a running server, with a seeded tenant and
its API key, as its own command line would run it: the examples, coverage and fuzzing
phases, positive and negative data, and every check that applies to single requests. On top
of them, two of ours: no input gives a 5xx, and every error is problem+json.

The suite runs a few examples per operation; `make fuzz` runs FUZZ_EXAMPLES (default 50)."""

from __future__ import annotations

import json
import os
from collections import Counter

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.pytest.lazy import get_all_tests

pytestmark = [pytest.mark.django_db, pytest.mark.conformance]

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
"""


@pytest.fixture(scope="session")
def conformance_schema(fuzz_target):
    document = httpx.get(f"{fuzz_target['url']}/api/schema/?format=json", timeout=60).json()
    schema = schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_str(CONFIG))
    schema.config.update(base_url=fuzz_target["url"], headers={"X-API-Key": fuzz_target["key"]},
                         request_timeout=60)
    return schema


def _shown(case, response) -> str:
    return (f"{case.method} {case.formatted_path} -> {response.status_code}\n"
            f"{case.as_curl_command()}")


class ServerError(Failure):
    code = "PA001"
    kind_title = "Server error"


class NotAProblem(Failure):
    code = "PA002"
    kind_title = "Error answer is not problem+json"


@schemathesis.check
def no_server_error(ctx, response, case):
    if case.operation.path == "/api/health" and response.status_code == 503:
        # Readiness answers 503 while a dependency is down (no worker runs here): its
        # documented answer, the health document itself.
        return None
    if response.status_code >= 500:
        raise ServerError(operation=case.operation.label,
                          message=f"{_shown(case, response)}\n{response.text[:500]}")
    return None


@schemathesis.check
def errors_are_problems(ctx, response, case):
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and not content_type.startswith("application/problem+json"):
        raise NotAProblem(operation=case.operation.label,
                          message=f"{_shown(case, response)}\n{content_type}")
    return None


@pytest.mark.timeout(3600)
def test_the_api_does_what_its_document_says(conformance_schema):
    failures: list[Failure] = []
    cases = Counter()

    def run(case):
        cases[case.operation.label] += 1
        try:
            case.call_and_validate()
        except FailureGroup as group:
            failures.extend(group.exceptions)
        except Failure as failure:
            failures.append(failure)

    operations = 0
    for result in get_all_tests(schema=conformance_schema, test_func=run, settings=None,
                                given_kwargs=None):
        assert isinstance(result, Ok), result
        _, test = result.ok()
        operations += 1
        test()
    by_kind = Counter(type(failure).__name__ for failure in failures)
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as report:
            json.dump([{"kind": type(f).__name__, "operation": f.operation, "title": f.title,
                        "message": f.message} for f in failures], report, indent=1)
    failing = {failure.operation for failure in failures}
    print(f"\nfuzz: {operations} operations, {sum(cases.values())} cases, "
          f"{len(failing)} failing ({len(failures)} failures: {dict(by_kind)})")
    assert operations >= 50
    shown = "\n\n".join(f"[{type(f).__name__}] {f.operation}: {f.title}\n{f.message}"
                        for f in failures[:60])
    assert not failures, f"{len(failures)} failures on {len(failing)} operations:\n{shown}"
