"""Request and answer shapes of the workflows API (the definition itself is checked by
apps.workflows.definition, which names the step and field of every problem)."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.fields import CharField

from ..models import WorkflowRun


class WorkflowInput(serializers.Serializer):
    name = CharField(max_length=200, help_text="Shown in lists.")
    description = CharField(required=False, allow_blank=True)
    trigger = serializers.DictField(help_text='{"type": "manual"}, {"type": "cron", "cron": '
                                              '"0 8 * * 1-5", "timezone": "Europe/Paris"}, …')
    steps = serializers.ListField(child=serializers.DictField(),
                                  help_text="[{id, type, params, retry?, on_error?}]")
    is_active = serializers.BooleanField(required=False)


class WorkflowPatch(WorkflowInput):
    name = CharField(max_length=200, required=False)
    trigger = serializers.DictField(required=False)
    steps = serializers.ListField(child=serializers.DictField(), required=False)


class LastRunSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WorkflowRun.Status.choices)
    created_at = serializers.DateTimeField()


class WorkflowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = CharField()
    description = CharField()
    trigger = serializers.JSONField()
    steps = serializers.JSONField()
    is_active = serializers.BooleanField()
    version = serializers.IntegerField()
    owner_id = serializers.IntegerField()
    webhook_url = serializers.URLField(required=False,
                                       help_text="Secret; only for webhook triggers.")
    last_run = LastRunSerializer(required=False, allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WorkflowListQuery(serializers.Serializer):
    q = CharField(required=False, allow_blank=True, max_length=200, default="")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class TriggerInput(serializers.Serializer):
    input = serializers.DictField(required=False, default=dict)
    idempotency_key = CharField(required=False, max_length=190, allow_blank=False)


class TestInput(serializers.Serializer):
    input = serializers.DictField(required=False, default=dict)


class RunStarted(serializers.Serializer):
    run_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=WorkflowRun.Status.choices)


class RunListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=WorkflowRun.Status.choices, required=False)


class ReplayInput(serializers.Serializer):
    # "from" is a Python keyword: the field is declared under another name below.
    pass


ReplayInput._declared_fields["from"] = serializers.ChoiceField(
    choices=["failed_step", "start"], default="failed_step")


class StepSerializer(serializers.Serializer):
    id = CharField()
    iteration = CharField(allow_null=True)
    type = CharField()
    status = CharField()
    input = serializers.JSONField(allow_null=True)
    output = serializers.JSONField(allow_null=True)
    error = serializers.JSONField(allow_null=True)
    attempts = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class RunSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    workflow_id = serializers.IntegerField()
    workflow_version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=WorkflowRun.Status.choices)
    test = serializers.BooleanField()
    error = CharField(allow_null=True)
    error_code = CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    replay_of = serializers.IntegerField(allow_null=True)


class RunSerializer(RunSummarySerializer):
    trigger = serializers.JSONField()
    steps = StepSerializer(many=True)
