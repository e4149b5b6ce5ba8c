from __future__ import annotations

from django_tenants.utils import tenant_context
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exceptions import NotFound, ValidationFailed
from apps.tenants.selectors import tenant_get_by_slug

from .. import selectors, services
from ..exceptions import (
    RunLimitReached,
    RunNotReplayable,
    WorkflowInactive,
    WorkflowNotFound,
    WorkflowRunNotFound,
)
from ..presenters import run_json, run_summary_json, workflow_json
from . import serializers as s

TAGS = ["workflows"]
HEADER_NAMES = ("content-type", "user-agent", "idempotency-key", "x-event-id")


def _workflow(request, workflow) -> dict:
    return workflow_json(workflow, request.tenant, absolute=request.build_absolute_uri)


def _json_object(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationFailed("The body is a JSON object.")
    return request.data


class WorkflowListView(GenericAPIView):
    ordering = ("name", "id")

    @extend_schema(parameters=[s.WorkflowListQuery], responses={200: s.WorkflowSerializer(
        many=True)}, tags=TAGS)
    def get(self, request):
        query = s.WorkflowListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        workflows = selectors.workflow_list(query=query.validated_data["q"],
                                            active=query.validated_data["is_active"])
        page = self.paginate_queryset(workflows)
        return self.get_paginated_response([_workflow(request, item) for item in page])

    @extend_schema(request=s.WorkflowInput, responses={201: s.WorkflowSerializer}, tags=TAGS)
    def post(self, request):
        workflow = services.workflow_create(actor_id=request.user.pk,
                                            data=_json_object(request))
        return Response(_workflow(request, workflow), status=status.HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/workflows/{workflow.pk}"})


class WorkflowDetailView(APIView):
    error_classes = (WorkflowNotFound,)
    @extend_schema(responses={200: s.WorkflowSerializer}, tags=TAGS)
    def get(self, request, workflow_id):
        return Response(_workflow(request, selectors.workflow_get(workflow_id=workflow_id)))

    @extend_schema(request=s.WorkflowPatch, responses={200: s.WorkflowSerializer}, tags=TAGS)
    def patch(self, request, workflow_id):
        workflow = services.workflow_update(workflow_id=workflow_id, actor_id=request.user.pk,
                                            data=_json_object(request))
        return Response(_workflow(request, workflow))

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, workflow_id):
        services.workflow_delete(workflow_id=workflow_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkflowTriggerView(APIView):
    error_classes = (WorkflowNotFound, WorkflowInactive, RunLimitReached)
    @extend_schema(request=s.TriggerInput, responses={202: s.RunStarted}, tags=TAGS)
    def post(self, request, workflow_id):
        body = s.TriggerInput(data=_json_object(request))
        body.is_valid(raise_exception=True)
        run, _ = services.workflow_trigger(
            workflow_id=workflow_id, data=body.validated_data["input"],
            idempotency_key=body.validated_data.get("idempotency_key"))
        return Response({"run_id": run.pk, "status": run.status},
                        status=status.HTTP_202_ACCEPTED)


class WorkflowTestView(APIView):
    error_classes = (WorkflowNotFound, RunLimitReached)
    @extend_schema(request=s.TestInput, responses={202: s.RunStarted}, tags=TAGS,
                   description="A run of the current definition whose writes are simulated.")
    def post(self, request, workflow_id):
        body = s.TestInput(data=_json_object(request))
        body.is_valid(raise_exception=True)
        run = services.workflow_test(workflow_id=workflow_id, data=body.validated_data["input"])
        return Response({"run_id": run.pk, "status": run.status},
                        status=status.HTTP_202_ACCEPTED)


class WorkflowRunsView(GenericAPIView):
    error_classes = (WorkflowNotFound,)
    @extend_schema(parameters=[s.RunListQuery], responses={200: s.RunSummarySerializer(
        many=True)}, tags=TAGS)
    def get(self, request, workflow_id):
        query = s.RunListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        runs = selectors.run_list(workflow_id=workflow_id,
                                  status=query.validated_data.get("status"))
        page = self.paginate_queryset(runs)
        return self.get_paginated_response([run_summary_json(run) for run in page])


class RunDetailView(APIView):
    error_classes = (WorkflowRunNotFound,)
    @extend_schema(responses={200: s.RunSerializer}, tags=TAGS)
    def get(self, request, run_id):
        return Response(run_json(selectors.run_get(run_id=run_id)))


class RunReplayView(APIView):
    error_classes = (WorkflowRunNotFound, RunNotReplayable, RunLimitReached)
    @extend_schema(request=s.ReplayInput, responses={202: s.RunStarted}, tags=TAGS)
    def post(self, request, run_id):
        body = s.ReplayInput(data=_json_object(request))
        body.is_valid(raise_exception=True)
        run = services.run_replay(run_id=run_id, start_from=body.validated_data["from"])
        return Response({"run_id": run.pk, "status": run.status},
                        status=status.HTTP_202_ACCEPTED)


class RunCancelView(APIView):
    error_classes = (WorkflowRunNotFound,)
    @extend_schema(request=None, responses={202: s.RunSummarySerializer}, tags=TAGS)
    def post(self, request, run_id):
        run = services.run_cancel(run_id=run_id)
        return Response(run_summary_json(run), status=status.HTTP_202_ACCEPTED)


class WebhookView(APIView):
    """The secret URL of a webhook workflow: no credential, the token is the secret."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(request={"application/json": {"type": "object"}},
                   parameters=[OpenApiParameter("Idempotency-Key", location="header",
                                                required=False),
                               OpenApiParameter("X-Event-Id", location="header",
                                                required=False)],
                   responses={202: s.RunStarted, 200: s.RunStarted}, tags=TAGS, auth=[])
    def post(self, request, tenant_slug, token):
        tenant = tenant_get_by_slug(tenant_slug)
        if tenant is None or not tenant.is_active:
            raise NotFound("There is no such webhook.")
        with tenant_context(tenant):
            workflow = selectors.workflow_get_by_webhook(token=token)
            if workflow is None or workflow.trigger_type != "webhook":
                raise NotFound("There is no such webhook.")
            key = request.headers.get("Idempotency-Key") or request.headers.get("X-Event-Id")
            headers = {name: request.headers[name] for name in HEADER_NAMES
                       if name in request.headers}
            run, created = services.webhook_receive(workflow=workflow, body=request.data,
                                                    event_key=key, headers=headers)
        return Response({"run_id": run.pk, "status": run.status},
                        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
