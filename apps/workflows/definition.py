"""A workflow definition checked as a whole; every error names where it is
(`steps[1].params.table`, `trigger.cron`)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from apps.core.tools import tool_registry
from apps.formulas import FormulaError, parse
from apps.schedules.services import InvalidSchedule, cron_validate

from .exceptions import WorkflowInvalid
from .steps import BUILTIN_STEPS, tool_params_validate

TRIGGER_TYPES = ("manual", "cron", "record_created", "record_updated", "record_deleted",
                 "file_processed", "webhook")
RECORD_TRIGGERS = ("record_created", "record_updated", "record_deleted")
STEP_KEYS = {"id", "type", "params", "retry", "on_error", "name"}
STEP_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_NESTING = 3


def _trigger_errors(trigger: Any) -> dict:
    if not isinstance(trigger, dict):
        return {"trigger": ["An object with a type."]}
    kind = trigger.get("type")
    if kind not in TRIGGER_TYPES:
        return {"trigger.type": [f"One of {', '.join(TRIGGER_TYPES)}."]}
    errors: dict[str, list[str]] = {}
    allowed = {"type"}
    if kind == "cron":
        allowed |= {"cron", "timezone"}
        try:
            cron_validate(trigger.get("cron"), trigger.get("timezone", "UTC"))
        except InvalidSchedule as error:
            errors[f"trigger.{error.field}"] = [str(error)]
    elif kind in RECORD_TRIGGERS:
        allowed |= {"base_id", "table", "fields", "condition"}
        for name in ("base_id", "table"):
            if not isinstance(trigger.get(name), str) or not trigger.get(name):
                errors[f"trigger.{name}"] = ["This field is required."]
        fields = trigger.get("fields")
        if fields is not None and (not isinstance(fields, list)
                                   or not all(isinstance(f, str) for f in fields)):
            errors["trigger.fields"] = ["A list of field names."]
        condition = trigger.get("condition")
        if condition is not None:
            try:
                parse(condition)
            except FormulaError as error:
                errors["trigger.condition"] = [f"Not a formula: {error}"]
    for name in sorted(set(trigger) - allowed):
        errors[f"trigger.{name}"] = ["Unknown key for this trigger type."]
    return errors


def _steps_errors(steps: Any, path: str, seen: set[str], depth: int) -> dict:
    if not isinstance(steps, list):
        return {path: ["A list of steps."]}
    if len(steps) > settings.WORKFLOWS_MAX_STEPS:
        return {path: [f"At most {settings.WORKFLOWS_MAX_STEPS} steps."]}
    errors: dict[str, list[str]] = {}
    for index, step in enumerate(steps):
        where = f"{path}[{index}]"
        if not isinstance(step, dict):
            errors[where] = ["An object {id, type, params}."]
            continue
        for key in sorted(set(step) - STEP_KEYS):
            errors[f"{where}.{key}"] = ["Unknown key."]
        step_id = step.get("id")
        if not isinstance(step_id, str) or not STEP_ID.match(step_id):
            errors[f"{where}.id"] = ["Letters, digits and _, starting with a letter."]
        elif step_id in seen:
            errors[f"{where}.id"] = [f"Two steps are named {step_id!r}."]
        else:
            seen.add(step_id)
        params = step.get("params", {})
        if not isinstance(params, dict):
            errors[f"{where}.params"] = ["An object."]
            params = {}
        kind = step.get("type")
        builtin = BUILTIN_STEPS.get(kind) if isinstance(kind, str) else None
        if builtin is not None:
            errors |= builtin.validate(params, f"{where}.params")
            if kind == "for_each" and isinstance(params.get("steps"), list):
                if depth >= MAX_NESTING:
                    errors[f"{where}.params.steps"] = [f"At most {MAX_NESTING} nested loops."]
                else:
                    errors |= _steps_errors(params["steps"], f"{where}.params.steps", seen,
                                            depth + 1)
        elif isinstance(kind, str) and any(t.name == kind for t in tool_registry.all()):
            errors |= tool_params_validate(kind, params, f"{where}.params")
        else:
            errors[f"{where}.type"] = [f"Unknown step type {kind!r}: a tool name or one of "
                                       f"{', '.join(sorted(BUILTIN_STEPS))}."]
        retry = step.get("retry")
        if retry is not None:
            if not isinstance(retry, dict) or set(retry) - {"max", "backoff_seconds"}:
                errors[f"{where}.retry"] = ["{max, backoff_seconds}."]
            else:
                maximum = retry.get("max", 3)
                if not isinstance(maximum, int) or isinstance(maximum, bool) or \
                        not 0 <= maximum <= settings.WORKFLOWS_MAX_RETRIES:
                    errors[f"{where}.retry.max"] = [
                        f"From 0 to {settings.WORKFLOWS_MAX_RETRIES}."]
                backoff = retry.get("backoff_seconds", 1)
                if not isinstance(backoff, int | float) or isinstance(backoff, bool) or \
                        not 0 <= backoff <= 3600:
                    errors[f"{where}.retry.backoff_seconds"] = ["From 0 to 3600 seconds."]
        if step.get("on_error", "stop") not in ("stop", "continue"):
            errors[f"{where}.on_error"] = ["stop or continue."]
    return errors


def definition_validate(data: dict, *, partial_of: dict | None = None) -> dict:
    """The definition to store (name, description, trigger, steps, is_active), with
    `partial_of` filling what a PATCH leaves out; WorkflowInvalid lists every problem."""
    merged = {**(partial_of or {}), **data}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(data) - {"name", "description", "trigger", "steps", "is_active"}):
        errors[key] = ["Unknown key."]
    name = merged.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors["name"] = ["A name of 1 to 200 characters."]
    description = merged.get("description", "")
    if not isinstance(description, str) or len(description) > 5000:
        errors["description"] = ["Text of at most 5,000 characters."]
    if not isinstance(merged.get("is_active", True), bool):
        errors["is_active"] = ["true or false."]
    if "trigger" not in merged:
        errors["trigger"] = ["This field is required."]
    else:
        errors |= _trigger_errors(merged["trigger"])
    errors |= _steps_errors(merged.get("steps", []), "steps", set(), 0)
    if errors:
        first = next(iter(errors))
        raise WorkflowInvalid(f"The workflow is not valid: {first}: {errors[first][0]}",
                              errors=errors)
    return {"name": merged["name"].strip(), "description": description,
            "trigger": merged["trigger"], "steps": merged.get("steps", []),
            "is_active": merged.get("is_active", True)}
