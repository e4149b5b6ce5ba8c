"""Creating, changing and deleting workflows; each save is a new version, and a cron
workflow's row in the public schedule table follows its definition."""

from __future__ import annotations

from django.db import connection, transaction

from apps.schedules import services as schedules

from ..definition import definition_validate
from ..models import Workflow, WorkflowVersion
from ..selectors import workflow_get


def _schedule_sync(workflow: Workflow) -> None:
    trigger = workflow.trigger or {}
    if trigger.get("type") == "cron":
        schedules.schedule_set(schema_name=connection.schema_name, workflow_id=workflow.pk,
                               cron=trigger["cron"], zone=trigger.get("timezone", "UTC"),
                               active=workflow.is_active)
    else:
        schedules.schedule_remove(schema_name=connection.schema_name, workflow_id=workflow.pk)


def _version_save(workflow: Workflow, actor_id: int | None) -> None:
    WorkflowVersion.objects.create(workflow=workflow, version=workflow.version,
                                   definition=workflow.definition(), created_by_id=actor_id)


@transaction.atomic
def workflow_create(*, actor_id: int, data: dict) -> Workflow:
    clean = definition_validate(data)
    workflow = Workflow.objects.create(owner_id=actor_id, version=1, **clean)
    _version_save(workflow, actor_id)
    _schedule_sync(workflow)
    return workflow


@transaction.atomic
def workflow_update(*, workflow_id, actor_id: int, data: dict) -> Workflow:
    workflow = workflow_get(workflow_id=workflow_id, for_update=True)
    clean = definition_validate(data, partial_of=workflow.definition())
    if clean == workflow.definition():
        return workflow
    for key, value in clean.items():
        setattr(workflow, key, value)
    workflow.version += 1
    workflow.save()
    _version_save(workflow, actor_id)
    _schedule_sync(workflow)
    return workflow


@transaction.atomic
def workflow_delete(*, workflow_id) -> None:
    workflow = workflow_get(workflow_id=workflow_id, for_update=True)
    schedules.schedule_remove(schema_name=connection.schema_name, workflow_id=workflow.pk)
    workflow.delete()
