"""Step types. Every tool of the registry is one (its params are the tool's arguments);
the built-in ones are classes here, one per type, each validating its params and running.

`condition`, `for_each` and `delay` shape the run itself: the runner asks them what to do
(end the run skipped, iterate, wait) rather than calling an external system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
from django.conf import settings
from django.utils.dateparse import parse_datetime
from jsonschema import Draft202012Validator

from apps.chat import services as chat_services
from apps.chat.exceptions import LLMNotConfigured, ProviderError
from apps.core.exceptions import ApplicationError
from apps.core.tools import WRITE, ToolContext, tool_registry
from apps.files import services as files_services
from apps.formulas import FormulaError, evaluate, is_truthy, parse

from . import netguard
from .exceptions import StepFailed
from .templating import has_template, syntax_error

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
LLM_PROMPT_MAX_CHARS = 100_000


@dataclass
class StepContext:
    tool_context: ToolContext
    simulate: bool
    idempotency_key: str
    trigger: dict


def _errors_for_strings(params: dict, path: str, names: tuple[str, ...],
                        required: tuple[str, ...]) -> dict:
    errors: dict[str, list[str]] = {}
    for name in required:
        if name not in params:
            errors[f"{path}.{name}"] = ["This field is required."]
    for name in names:
        value = params.get(name)
        if value is not None and not isinstance(value, str):
            errors[f"{path}.{name}"] = ["Text (templates allowed)."]
        elif isinstance(value, str):
            problem = syntax_error(value) if has_template(value) else None
            if problem:
                errors[f"{path}.{name}"] = [problem]
    return errors


class BuiltinStep:
    type: ClassVar[str]
    writes: ClassVar[bool] = False
    params_allowed: ClassVar[tuple[str, ...]] = ()

    def validate(self, params: dict, path: str) -> dict:
        unknown = sorted(set(params) - set(self.params_allowed))
        return {f"{path}.{name}": ["Unknown parameter."] for name in unknown}

    def run(self, context: StepContext, params: dict) -> dict:
        raise StepFailed("ERROR_STEP_TYPE", f"{self.type} is run by the runner itself.")


class ConditionStep(BuiltinStep):
    """An Airtable formula; false ends the run `skipped`. Field references read the
    trigger's record (`{Stage} = 'Won'`)."""

    type = "condition"
    params_allowed = ("formula",)

    def validate(self, params, path):
        errors = super().validate(params, path)
        errors |= _errors_for_strings(params, path, ("formula",), ("formula",))
        formula = params.get("formula")
        if isinstance(formula, str) and not has_template(formula) and f"{path}.formula" not in \
                errors:
            try:
                parse(formula)
            except FormulaError as error:
                errors[f"{path}.formula"] = [f"Not a formula: {error}"]
        return errors

    def run(self, context, params):
        fields = ((context.trigger or {}).get("record") or {}).get("fields") or {}
        try:
            value = evaluate(str(params["formula"]), fields)
        except FormulaError as error:
            raise StepFailed("ERROR_FORMULA_INVALID", f"The condition is not a formula: "
                                                      f"{error}") from None
        return {"value": bool(is_truthy(value))}


class ForEachStep(BuiltinStep):
    type = "for_each"
    params_allowed = ("items", "steps")

    def validate(self, params, path):
        errors = super().validate(params, path)
        items = params.get("items")
        if items is None:
            errors[f"{path}.items"] = ["This field is required."]
        elif not isinstance(items, list | str):
            errors[f"{path}.items"] = ["A list, or a template that gives one."]
        if not isinstance(params.get("steps"), list) or not params.get("steps"):
            errors[f"{path}.steps"] = ["A non-empty list of steps."]
        return errors


class DelayStep(BuiltinStep):
    """Waits by countdown: the run is queued again for later, no worker sleeps."""

    type = "delay"
    params_allowed = ("seconds", "until")

    def validate(self, params, path):
        errors = super().validate(params, path)
        if ("seconds" in params) == ("until" in params):
            errors[f"{path}.seconds"] = ["Give seconds or until (an ISO date-time)."]
        seconds = params.get("seconds")
        if seconds is not None and not has_template(seconds) and (
                not isinstance(seconds, int | float) or isinstance(seconds, bool)
                or not 0 <= seconds <= 30 * 86400):
            errors[f"{path}.seconds"] = ["A number of seconds from 0 to 2592000 (30 days)."]
        until = params.get("until")
        if isinstance(until, str) and not has_template(until) and parse_datetime(until) is None:
            errors[f"{path}.until"] = ["An ISO 8601 date-time with an offset."]
        return errors

    @staticmethod
    def resume_at(params: dict, started: datetime) -> datetime:
        if params.get("until") is not None:
            moment = parse_datetime(str(params["until"]))
            if moment is None or moment.tzinfo is None:
                raise StepFailed("ERROR_DELAY", "until is not an ISO date-time with an offset.")
            return moment
        try:
            seconds = float(params.get("seconds"))
        except (TypeError, ValueError):
            raise StepFailed("ERROR_DELAY", "seconds is not a number.") from None
        return started + timedelta(seconds=max(0.0, min(seconds, 30 * 86400)))


class LlmPromptStep(BuiltinStep):
    type = "llm_prompt"
    params_allowed = ("prompt", "system", "model", "json")

    def validate(self, params, path):
        errors = super().validate(params, path)
        return errors | _errors_for_strings(params, path, ("prompt", "system", "model"),
                                            ("prompt",))

    def run(self, context, params):
        prompt = str(params.get("prompt") or "")
        if not prompt.strip() or len(prompt) > LLM_PROMPT_MAX_CHARS:
            raise StepFailed("ERROR_VALIDATION", "The prompt is empty or longer than 100,000 "
                                                 "characters.")
        try:
            answer = chat_services.prompt_complete(
                prompt=prompt, system=str(params.get("system") or ""),
                model=str(params.get("model") or ""),
                timeout=settings.WORKFLOWS_STEP_TIMEOUT_SECONDS)
        except LLMNotConfigured as error:
            raise StepFailed(error.code, error.detail) from None
        except ProviderError as error:
            raise StepFailed(error.code, error.detail, retryable=True) from None
        if params.get("json"):
            try:
                answer["json"] = json.loads(answer["text"])
            except json.JSONDecodeError:
                raise StepFailed("ERROR_LLM_ANSWER", "The model's answer is not JSON.",
                                 retryable=True) from None
        return answer


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


class HttpRequestStep(BuiltinStep):
    """One HTTP call with a timeout, a size cap on the answer and an `Idempotency-Key` that
    stays the same for every attempt of the step in the run, so a receiver can drop a
    repeat. 429 and 5xx are retried (Retry-After honoured) when the step has `retry`."""

    type = "http_request"
    writes = True
    params_allowed = ("url", "method", "headers", "body", "json", "timeout_seconds")

    def validate(self, params, path):
        errors = super().validate(params, path)
        errors |= _errors_for_strings(params, path, ("url",), ("url",))
        method = params.get("method", "GET")
        if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            errors[f"{path}.method"] = [f"One of {', '.join(HTTP_METHODS)}."]
        headers = params.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(v, str)
                                                    for v in headers.values()):
            errors[f"{path}.headers"] = ["An object of text values."]
        if "body" in params and "json" in params:
            errors[f"{path}.body"] = ["Give body or json, not both."]
        timeout = params.get("timeout_seconds")
        if timeout is not None and (not isinstance(timeout, int | float) or not 0 < timeout
                                    <= settings.WORKFLOWS_STEP_TIMEOUT_SECONDS):
            errors[f"{path}.timeout_seconds"] = [
                f"From 0 to {settings.WORKFLOWS_STEP_TIMEOUT_SECONDS} seconds."]
        return errors

    def run(self, context, params):
        url = str(params["url"])
        method = str(params.get("method", "GET")).upper()
        address, port, host = netguard.public_address(url)
        headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
        headers.setdefault("Idempotency-Key", context.idempotency_key)
        headers.setdefault("User-Agent", "PyAirtable-Workflows/1")
        timeout = float(params.get("timeout_seconds") or settings.WORKFLOWS_STEP_TIMEOUT_SECONDS)
        pinned = httpx.URL(url).copy_with(host=f"[{address}]" if ":" in address else address,
                                          port=port)
        headers["Host"] = host if port in (80, 443) else f"{host}:{port}"
        limit = settings.WORKFLOWS_HTTP_MAX_BYTES
        body = params.get("body")
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client, \
                    client.stream(method, pinned, headers=headers,
                                  json=params.get("json") if "json" in params else None,
                                  content=None if body is None else (
                                      body if isinstance(body, str) else json.dumps(body)),
                                  extensions={"sni_hostname": host}) as response:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise StepFailed("ERROR_HTTP_TOO_LARGE",
                                         f"The answer is larger than {limit} bytes.")
                    chunks.append(chunk)
        except httpx.TimeoutException:
            raise StepFailed("ERROR_HTTP_TIMEOUT", f"{host} did not answer within {timeout} s.",
                             retryable=True) from None
        except httpx.HTTPError as error:
            raise StepFailed("ERROR_HTTP_UNREACHABLE", f"{host}: {error}",
                             retryable=True) from None
        raw = b"".join(chunks)
        text = raw.decode(response.encoding or "utf-8", errors="replace")
        try:
            answer_body: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            answer_body = text
        status = response.status_code
        if status == 429 or status >= 500:
            raise StepFailed("ERROR_HTTP_STATUS", f"{host} answered HTTP {status}.",
                             retryable=True,
                             retry_after=_retry_after(response.headers.get("retry-after")))
        if status >= 400:
            raise StepFailed("ERROR_HTTP_STATUS", f"{host} answered HTTP {status}: "
                                                  f"{text[:300]}")
        return {"status": status, "headers": dict(response.headers), "body": answer_body}


class FilesImportStep(BuiltinStep):
    """Import a processed file's table into an Airtable table (the files app's import)."""

    type = "files_import"
    writes = True
    params_allowed = ("file_id", "base_id", "table", "sheet", "mapping", "typecast")

    def validate(self, params, path):
        errors = super().validate(params, path)
        errors |= _errors_for_strings(params, path, ("file_id", "base_id", "table", "sheet"),
                                      ("file_id", "base_id", "table"))
        if "mapping" in params and not isinstance(params["mapping"], dict | str):
            errors[f"{path}.mapping"] = ["An object: file column → field name."]
        return errors

    def run(self, context, params):
        if not context.tool_context.can_write:
            raise StepFailed("ERROR_READ_ONLY", "The workflow's owner can only read.")
        try:
            job = files_services.import_start(
                file_id=str(params["file_id"]), base_id=str(params["base_id"]),
                table=str(params["table"]), sheet=str(params.get("sheet") or ""),
                mapping=params.get("mapping") or None,
                typecast=bool(params.get("typecast", True)),
                user_id=context.tool_context.user.pk)
        except ApplicationError as error:
            raise StepFailed(error.code, error.detail) from None
        return {"import_job_id": str(job.pk), "rows": job.total, "table": job.table}


BUILTIN_STEPS: dict[str, BuiltinStep] = {
    step.type: step for step in (ConditionStep(), ForEachStep(), DelayStep(), LlmPromptStep(),
                                 HttpRequestStep(), FilesImportStep())}


def step_type_names() -> list[str]:
    return sorted(BUILTIN_STEPS) + [tool.name for tool in tool_registry.all()]


def step_writes(step_type: str) -> bool:
    builtin = BUILTIN_STEPS.get(step_type)
    if builtin is not None:
        return builtin.writes
    try:
        return tool_registry.get(step_type).scope == WRITE
    except ApplicationError:
        return False


def tool_params_validate(step_type: str, params: dict, path: str) -> dict:
    """Check a tool step's params against the tool's input schema, property by property;
    a template string stands for a value known only when the run reaches the step."""
    schema = tool_registry.get(step_type).input_schema
    properties = schema.get("properties", {})
    errors: dict[str, list[str]] = {}
    for name in schema.get("required", []):
        if name not in params:
            errors[f"{path}.{name}"] = ["This field is required."]
    for name, value in params.items():
        if name not in properties:
            if schema.get("additionalProperties") is False:
                errors[f"{path}.{name}"] = ["Unknown parameter."]
            continue
        if _contains_template(value):
            problem = _template_problem(value)
            if problem:
                errors[f"{path}.{name}"] = [problem]
            continue
        problem = next(iter(Draft202012Validator(properties[name]).iter_errors(value)), None)
        if problem is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                            for p in problem.absolute_path)
            errors[f"{path}.{name}{where}"] = [problem.message]
    return errors


def _contains_template(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_contains_template(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_template(item) for item in value)
    return has_template(value)


def _template_problem(value: Any) -> str | None:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return next((p for p in map(_template_problem, value) if p), None)
    return syntax_error(value) if has_template(value) else None
