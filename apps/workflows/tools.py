"""The workflow tools of the one registry (MCP, chat, and workflows themselves)."""

from __future__ import annotations

from apps.core.tools import WRITE, Tool, tool_registry

from . import selectors, services
from .presenters import run_json, workflow_json

WORKFLOW_ID = {"type": "integer", "minimum": 1}
OBJECT = {"type": "object"}
WORKFLOW_OUT = {"type": "object", "required": ["id", "name", "version"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                               "version": {"type": "integer"}}}
DEFINITION_PROPERTIES = {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 5000},
    "trigger": {"type": "object", "description": "{type: manual|cron|record_created|"
                                                 "record_updated|record_deleted|"
                                                 "file_processed|webhook, ...}"},
    "steps": {"type": "array", "description": "[{id, type, params, retry?, on_error?}]; a "
                                              "type is a tool name or condition, for_each, "
                                              "llm_prompt, http_request, files_import, delay",
              "items": {"type": "object"}},
    "is_active": {"type": "boolean"},
}


@tool_registry.register
class ListWorkflows(Tool):
    name = "list_workflows"
    title = "List workflows"
    description = "The team's workflows with their trigger, whether active, and the last run."
    input_schema = {"type": "object", "additionalProperties": False,
                    "properties": {"query": {"type": "string", "maxLength": 200}}}
    output_schema = {"type": "object", "required": ["workflows"],
                     "properties": {"workflows": {"type": "array", "items": OBJECT}}}

    def run(self, context, arguments):
        workflows = selectors.workflow_list(query=arguments.get("query", ""))[:200]
        return {"workflows": [workflow_json(item, context.tenant) for item in workflows]}


@tool_registry.register
class GetWorkflow(Tool):
    name = "get_workflow"
    title = "Get a workflow"
    description = "One workflow's definition (trigger and steps) and version."
    input_schema = {"type": "object", "required": ["workflowId"], "additionalProperties": False,
                    "properties": {"workflowId": WORKFLOW_ID}}
    output_schema = WORKFLOW_OUT

    def run(self, context, arguments):
        return workflow_json(selectors.workflow_get(workflow_id=arguments["workflowId"]),
                             context.tenant)


@tool_registry.register
class TriggerWorkflow(Tool):
    name = "trigger_workflow"
    title = "Run a workflow"
    description = ("Start a run of a workflow with an optional input; the same idempotencyKey "
                   "again answers the same run.")
    scope = WRITE
    idempotent = False
    job_kind = "workflows.run"
    job_key = "run_id"
    input_schema = {"type": "object", "required": ["workflowId"], "additionalProperties": False,
                    "properties": {"workflowId": WORKFLOW_ID, "input": OBJECT,
                                   "idempotencyKey": {"type": "string", "minLength": 1,
                                                      "maxLength": 190}}}
    output_schema = {"type": "object", "required": ["run_id", "status"],
                     "properties": {"run_id": {"type": "integer"},
                                    "status": {"type": "string"}}}

    def run(self, context, arguments):
        run, _ = services.workflow_trigger(workflow_id=arguments["workflowId"],
                                           data=arguments.get("input"),
                                           idempotency_key=arguments.get("idempotencyKey"))
        return {"run_id": run.pk, "status": run.status}


@tool_registry.register
class GetWorkflowRun(Tool):
    name = "get_workflow_run"
    title = "Get a workflow run"
    description = "A run's status, trigger and each step's input, output and error."
    input_schema = {"type": "object", "required": ["runId"], "additionalProperties": False,
                    "properties": {"runId": {"type": "integer", "minimum": 1}}}
    output_schema = {"type": "object", "required": ["id", "status", "steps"],
                     "properties": {"id": {"type": "integer"}, "status": {"type": "string"},
                                    "steps": {"type": "array", "items": OBJECT}}}

    def run(self, context, arguments):
        return run_json(selectors.run_get(run_id=arguments["runId"]))


@tool_registry.register
class CreateWorkflow(Tool):
    name = "create_workflow"
    title = "Create a workflow"
    description = ("Create a workflow: a trigger and steps (see get_workflow for the shape). "
                   "The caller becomes its owner; its runs act with the owner's rights.")
    scope = WRITE
    idempotent = False
    input_schema = {"type": "object", "required": ["name", "trigger", "steps"],
                    "additionalProperties": False, "properties": DEFINITION_PROPERTIES}
    output_schema = WORKFLOW_OUT

    def run(self, context, arguments):
        workflow = services.workflow_create(actor_id=context.user.pk, data=arguments)
        return workflow_json(workflow, context.tenant)


@tool_registry.register
class UpdateWorkflow(Tool):
    name = "update_workflow"
    title = "Change a workflow"
    description = "Change some of a workflow's name, description, trigger, steps, is_active."
    scope = WRITE
    input_schema = {"type": "object", "required": ["workflowId"], "additionalProperties": False,
                    "properties": {"workflowId": WORKFLOW_ID, **DEFINITION_PROPERTIES}}
    output_schema = WORKFLOW_OUT

    def run(self, context, arguments):
        data = {k: v for k, v in arguments.items() if k != "workflowId"}
        workflow = services.workflow_update(workflow_id=arguments["workflowId"],
                                            actor_id=context.user.pk, data=data)
        return workflow_json(workflow, context.tenant)
