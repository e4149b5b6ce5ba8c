"""Server-rendered pages: the workflow list, the editor (form and JSON), the runs of a
workflow (refreshed while runs are live) and a run with each step and a replay button."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.decorators import tenant_page
from apps.core.exceptions import ApplicationError, NotFound
from apps.core.tools import tool_registry

from . import selectors, services
from .definition import TRIGGER_TYPES
from .models import WorkflowRun
from .presenters import run_json, webhook_url
from .steps import BUILTIN_STEPS

PAGE_SIZE = 25
LIVE = (WorkflowRun.Status.QUEUED, WorkflowRun.Status.RUNNING)
BUILTIN_HELP = {
    "condition": "An Airtable formula; false ends the run as skipped.",
    "for_each": "Runs its steps once per item of a list.",
    "llm_prompt": "Asks the team's language model; the answer is the step's text.",
    "http_request": "Calls a public URL with a timeout and a size cap.",
    "files_import": "Imports a processed file's table into an Airtable table.",
    "delay": "Waits some seconds or until a date-time, without holding a worker.",
}


def _or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFound:
        raise Http404("Not found.") from None


def _palette() -> list[dict]:
    steps = [{"type": name, "description": BUILTIN_HELP.get(name, "")}
             for name in sorted(BUILTIN_STEPS)]
    steps += [{"type": tool.name, "description": tool.description} for tool in
              tool_registry.all() if tool.name not in ("create_workflow", "update_workflow")]
    return steps


@tenant_page(write=True)
def workflow_list(request):
    query = request.GET.get("q", "").strip()[:200]
    state = request.GET.get("state", "")
    active = {"active": True, "inactive": False}.get(state)
    page = Paginator(selectors.workflow_list(query=query, active=active),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workflows/list.html", {"page": page, "workflows": page.object_list,
                                                   "q": query, "state": state,
                                                   "can_write": request.membership.can_write})


def _definition_from(request) -> tuple[dict, dict]:
    """The definition a form posted, and errors of JSON that does not parse."""
    errors: dict[str, list[str]] = {}
    data = {"name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "is_active": request.POST.get("is_active") == "on"}
    for key in ("trigger", "steps"):
        text = request.POST.get(key, "")
        try:
            data[key] = json.loads(text)
        except json.JSONDecodeError as error:
            errors[key] = [f"Not JSON: {error.msg} (line {error.lineno}, column {error.colno})."]
    return data, errors


@tenant_page(write=True)
def workflow_edit(request, workflow_id=None):
    workflow = _or_404(selectors.workflow_get, workflow_id=workflow_id) if workflow_id else None
    errors: dict = {}
    if request.method == "POST":
        data, errors = _definition_from(request)
        if not errors:
            try:
                if workflow is None:
                    workflow = services.workflow_create(actor_id=request.user.pk, data=data)
                else:
                    workflow = services.workflow_update(workflow_id=workflow.pk,
                                                        actor_id=request.user.pk, data=data)
                messages.success(request, f"Saved “{workflow.name}” (version "
                                          f"{workflow.version}).")
                return redirect("workflows-edit", workflow_id=workflow.pk)
            except ApplicationError as error:
                errors = error.errors or {"": [error.detail]}
        form = {**data, "trigger": request.POST.get("trigger", ""),
                "steps": request.POST.get("steps", "")}
    elif workflow is not None:
        form = {"name": workflow.name, "description": workflow.description,
                "is_active": workflow.is_active,
                "trigger": json.dumps(workflow.trigger, indent=2),
                "steps": json.dumps(workflow.steps, indent=2)}
    else:
        form = {"name": "", "description": "", "is_active": True,
                "trigger": json.dumps({"type": "manual"}, indent=2), "steps": "[]"}
    hook = webhook_url(workflow, request.tenant) if workflow else None
    return render(request, "workflows/edit.html", {
        "workflow": workflow, "form": form, "errors": errors, "palette": _palette(),
        "trigger_types": TRIGGER_TYPES, "can_write": request.membership.can_write,
        "webhook_url": request.build_absolute_uri(hook) if hook else None,
        "definition_json": json.dumps(workflow.definition(), indent=2) if workflow else ""})


@tenant_page(write=True)
@require_POST
def workflow_action(request, workflow_id, action):
    workflow = _or_404(selectors.workflow_get, workflow_id=workflow_id)
    try:
        if action == "run":
            run, _ = services.workflow_trigger(workflow_id=workflow.pk)
            return redirect("workflows-run", run_id=run.pk)
        if action == "test":
            run = services.workflow_test(workflow_id=workflow.pk)
            return redirect("workflows-run", run_id=run.pk)
        if action in ("enable", "disable"):
            services.workflow_update(workflow_id=workflow.pk, actor_id=request.user.pk,
                                     data={"is_active": action == "enable"})
            messages.success(request, f"“{workflow.name}” is {action}d.")
            return redirect("workflows-list")
        if action == "delete":
            services.workflow_delete(workflow_id=workflow.pk)
            messages.success(request, f"Deleted “{workflow.name}”.")
            return redirect("workflows-list")
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect("workflows-edit", workflow_id=workflow.pk)
    raise Http404("No such action.")


def _runs_context(request, workflow_id):
    workflow = _or_404(selectors.workflow_get, workflow_id=workflow_id)
    status = request.GET.get("status", "")
    if status not in WorkflowRun.Status.values:
        status = ""
    page = Paginator(selectors.run_list(workflow_id=workflow.pk, status=status or None),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    runs = list(page.object_list)
    return {"workflow": workflow, "page": page, "runs": runs, "status": status,
            "statuses": WorkflowRun.Status.values,
            "live": any(run.status in LIVE for run in runs)}


@tenant_page(write=True)
def workflow_runs(request, workflow_id):
    context = _runs_context(request, workflow_id)
    template = "workflows/_runs.html" if request.headers.get("HX-Request") else \
        "workflows/runs.html"
    return render(request, template, context)


@tenant_page(write=True)
def run_detail(request, run_id):
    run = _or_404(selectors.run_get, run_id=run_id)
    data = run_json(run)
    for step in data["steps"]:
        for key in ("input", "output", "error"):
            step[f"{key}_json"] = json.dumps(step[key], indent=2, ensure_ascii=False) \
                if step[key] is not None else ""
    template = "workflows/_run.html" if request.headers.get("HX-Request") else \
        "workflows/run.html"
    return render(request, template, {"run": run, "data": data, "live": run.status in LIVE,
                                      "trigger_json": json.dumps(run.trigger, indent=2),
                                      "can_write": request.membership.can_write})


@tenant_page(write=True)
@require_POST
def run_action(request, run_id, action):
    run = _or_404(selectors.run_get, run_id=run_id)
    try:
        if action == "replay":
            start_from = "start" if request.POST.get("from") == "start" else "failed_step"
            replay = services.run_replay(run_id=run.pk, start_from=start_from)
            return redirect("workflows-run", run_id=replay.pk)
        if action == "cancel":
            services.run_cancel(run_id=run.pk)
            return redirect("workflows-run", run_id=run.pk)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect("workflows-run", run_id=run.pk)
    raise Http404("No such action.")
