"""The demo team's two workflows run against the sandbox's demo CRM: the scheduled one adds
follow-ups for overdue deals, the record-triggered one a call for a new deal."""

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from apps.airtable import services as airtable
from apps.workflows import services
from apps.workflows.models import Workflow, WorkflowRun

from .conftest import Sandbox, connect, sync

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_base(seed):
    """The demo CRM, committed before any test transaction opens."""
    return seed(200)


def test_the_demo_workflows_run_against_the_sandbox(team_a, server, demo_base,
                                                    django_capture_on_commit_callbacks):
    base_id, token = demo_base
    connect(team_a, server, token)
    sync(team_a, base_id, capture=django_capture_on_commit_callbacks)
    sandbox = Sandbox(server.url, token, base_id)
    overdue = sandbox.all("Deals", filterByFormula=services.demo.OVERDUE)
    activities_before = len(sandbox.all("Activities"))
    with schema_context(team_a.tenant.schema_name):
        made = services.workflows_seed_demo(owner_id=team_a.owner.pk, base_id=base_id)
        assert services.workflows_seed_demo(owner_id=team_a.owner.pk, base_id=base_id) == []
        scheduled, on_record = made
        assert scheduled.trigger_type == "cron" and on_record.trigger_type == "record_created"
        with django_capture_on_commit_callbacks(execute=True):
            services.schedule_fire(schema_name=team_a.tenant.schema_name,
                                   workflow_id=scheduled.pk, fire_at=datetime.now(UTC))
        run = WorkflowRun.objects.get(workflow=scheduled)
        expected = "succeeded" if overdue else "skipped"
        assert run.status == expected, run.error
        with django_capture_on_commit_callbacks(execute=True):
            deal = airtable.records_create(base_id=base_id, table="Deals",
                                           records=[{"Deal": "Demo deal", "Stage": "Lead"}])[0]
        call = WorkflowRun.objects.get(workflow=on_record)
        assert call.status == "succeeded", call.error
        assert Workflow.objects.count() == 2
    activities = sandbox.all("Activities")
    follow_ups = [a for a in activities if a["fields"].get("Subject", "").startswith("Follow up")]
    assert len(follow_ups) == min(len(overdue), 20)
    calls = [a for a in activities if a["fields"].get("Subject") == "Call about Demo deal"]
    assert len(calls) == 1 and calls[0]["fields"]["Deal"] == [deal["id"]]
    assert len(activities) == activities_before + len(follow_ups) + 1
