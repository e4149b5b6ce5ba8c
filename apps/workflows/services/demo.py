"""The demo team's workflows (make dev): one on a schedule, one on a record change, both
against the sandbox's demo CRM. Made once; run again, nothing changes."""

from __future__ import annotations

from ..models import Workflow
from .definitions import workflow_create

OVERDUE = ("AND(IS_BEFORE({Close date}, TODAY()), {Stage} != 'Won', {Stage} != 'Lost')")


def demo_definitions(base_id: str) -> list[dict]:
    return [
        {"name": "Weekday follow-ups for overdue deals",
         "description": "Every weekday at 08:00 Paris time, an activity for each open deal "
                        "whose close date has passed (at most 20).",
         "trigger": {"type": "cron", "cron": "0 8 * * 1-5", "timezone": "Europe/Paris"},
         "steps": [
             {"id": "overdue", "type": "list_records",
              "params": {"baseId": base_id, "table": "Deals", "filterByFormula": OVERDUE,
                         "maxRecords": 20, "pageSize": 20}},
             {"id": "any", "type": "condition",
              "params": {"formula": "{{ steps.overdue.records | length }} > 0"}},
             {"id": "follow_up", "type": "for_each", "params": {
                 "items": "{{ steps.overdue.records }}",
                 "steps": [{"id": "activity", "type": "create_records", "params": {
                     "baseId": base_id, "table": "Activities", "records": [{"fields": {
                         "Subject": "Follow up: {{ item.fields.Deal }} is past its close date",
                         "Type": "Note", "Deal": ["{{ item.id }}"]}}]}}]}}]},
        {"name": "Call about every new deal",
         "description": "When a deal is created, an activity to call about it.",
         "trigger": {"type": "record_created", "base_id": base_id, "table": "Deals"},
         "steps": [{"id": "call", "type": "create_records", "params": {
             "baseId": base_id, "table": "Activities", "records": [{"fields": {
                 "Subject": "Call about {{ trigger.record.fields.Deal }}", "Type": "Call",
                 "Deal": ["{{ trigger.record.id }}"]}}]}}]},
    ]


def workflows_seed_demo(*, owner_id: int, base_id: str) -> list[Workflow]:
    made = []
    for definition in demo_definitions(base_id):
        if not Workflow.objects.filter(name=definition["name"]).exists():
            made.append(workflow_create(actor_id=owner_id,
                                        data={**definition, "is_active": True}))
    return made
