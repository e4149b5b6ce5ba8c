"""REST and SSE endpoints of the chat (API.md, chat section)."""

from __future__ import annotations

import json

from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import CursorPagination
from apps.core.permissions import IsTenantManager, IsTenantReader
from apps.core.tools import ToolContext

from .. import selectors, services
from ..exceptions import (
    ChatFailed,
    ConversationNotFound,
    InvalidChatSettings,
    LLMBudgetExceeded,
    LLMNotConfigured,
    ProviderAuthFailed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    TurnInProgress,
)
from ..presenters import conversation_json, message_json, usage_json
from ..services.usage import budget_remaining, today
from ..streaming import SSE_CONTENT_TYPE, sse_from_turn, sse_from_turn_async
from . import serializers as s


class EventStreamRenderer(BaseRenderer):
    """Lets a client ask for `text/event-stream`. The stream itself is a StreamingHttpResponse;
    what this renders are the problem+json answers of refused requests."""

    media_type = SSE_CONTENT_TYPE
    format = "event-stream"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False).encode()


def _user_id(request) -> int:
    return request.user.pk


class ConversationListView(APIView):
    permission_classes = [IsTenantReader]
    ordering = "-updated_at"

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Search titles and "
                                                "messages")],
                   responses={200: s.ConversationPageOut}, tags=["chat"],
                   operation_id="chat_conversations_list")
    def get(self, request):
        conversations = selectors.conversation_list(user_id=_user_id(request),
                                                    query=request.query_params.get("q"))
        paginator = CursorPagination()
        page = paginator.paginate_queryset(conversations, request, view=self)
        return paginator.get_paginated_response([conversation_json(c) for c in page])

    @extend_schema(request=s.ConversationInput, responses={201: s.ConversationOut},
                   tags=["chat"])
    def post(self, request):
        serializer = s.ConversationInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation = services.conversation_create(user_id=_user_id(request),
                                                    **serializer.validated_data)
        return Response(conversation_json(conversation), status=status.HTTP_201_CREATED)


class ConversationDetailView(APIView):
    error_classes = (ConversationNotFound,)
    permission_classes = [IsTenantReader]

    @extend_schema(responses={200: s.ConversationDetailOut}, tags=["chat"])
    def get(self, request, conversation_id):
        conversation = selectors.conversation_get(user_id=_user_id(request),
                                                  conversation_id=conversation_id)
        messages = selectors.message_list(conversation=conversation)
        return Response({**conversation_json(conversation),
                         "messages": [message_json(message) for message in messages]})

    @extend_schema(request=s.ConversationInput, responses={200: s.ConversationOut},
                   tags=["chat"])
    def patch(self, request, conversation_id):
        serializer = s.ConversationInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation = services.conversation_update(
            user_id=_user_id(request), conversation_id=conversation_id,
            **serializer.validated_data)
        return Response(conversation_json(conversation))

    @extend_schema(responses={204: None}, tags=["chat"])
    def delete(self, request, conversation_id):
        services.conversation_delete(tenant=request.tenant, user_id=_user_id(request),
                                     conversation_id=conversation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageCreateView(APIView):
    error_classes = (ConversationNotFound, TurnInProgress, LLMNotConfigured, LLMBudgetExceeded,
                     ProviderAuthFailed, ProviderRateLimited, ProviderTimeout, ProviderRejected,
                     ChatFailed)
    permission_classes = [IsTenantReader]
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(request=s.MessageInput, responses={201: s.MessageOut},
                   description="The final assistant message; with `Accept: text/event-stream`, "
                               "an SSE stream of delta, tool_call, tool_result, done and error "
                               "events.", tags=["chat"])
    def post(self, request, conversation_id):
        serializer = s.MessageInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        streaming = request.accepted_renderer.media_type == SSE_CONTENT_TYPE
        turn = services.turn_start(caller=ToolContext.from_request(request, channel="chat"),
                                   conversation_id=conversation_id,
                                   content=serializer.validated_data["content"],
                                   stream=streaming)
        if not streaming:
            return Response(message_json(turn.run()), status=status.HTTP_201_CREATED)
        content = (sse_from_turn_async(turn) if isinstance(request._request, ASGIRequest)
                   else sse_from_turn(turn))
        response = StreamingHttpResponse(content, content_type=SSE_CONTENT_TYPE)
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


class ConversationStopView(APIView):
    error_classes = (ConversationNotFound,)
    permission_classes = [IsTenantReader]

    @extend_schema(request=None, responses={200: s.StopOut}, tags=["chat"])
    def post(self, request, conversation_id):
        stopped = services.conversation_stop(tenant=request.tenant, user_id=_user_id(request),
                                             conversation_id=conversation_id)
        return Response({"stopping": stopped})


def settings_json(row) -> dict:
    return {"provider": row.provider, "model": row.model, "base_url": row.base_url,
            "has_api_key": row.has_api_key, "daily_token_budget": row.daily_token_budget,
            "effective": services.provider_status(row)}


class ChatSettingsView(APIView):
    """Every member sees what the chat uses; owners and admins change it."""
    error_classes = (InvalidChatSettings,)

    permission_classes = [IsTenantManager]

    @extend_schema(responses={200: s.ChatSettingsOut}, tags=["chat"])
    def get(self, request):
        return Response(settings_json(selectors.chat_settings_get()))

    @extend_schema(request=s.ChatSettingsInput, responses={200: s.ChatSettingsOut},
                   tags=["chat"])
    def patch(self, request):
        serializer = s.ChatSettingsInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.chat_settings_update(actor_id=_user_id(request),
                                            **serializer.validated_data)
        return Response(settings_json(row))

    put = patch


class UsageView(APIView):
    permission_classes = [IsTenantReader]

    @extend_schema(parameters=[s.UsageQuery], responses={200: s.UsageReportOut},
                   tags=["chat"])
    def get(self, request):
        query = s.UsageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        chat_settings = selectors.chat_settings_get()
        days = [{"day": row["day"].isoformat(), "calls": row["calls"], "turns": row["turns"],
                 **usage_json(prompt_tokens=row["prompt_tokens"],
                              completion_tokens=row["completion_tokens"], cost=row["cost"])}
                for row in selectors.usage_by_day(days=query.validated_data["days"])]
        return Response({
            "today": today().isoformat(),
            "daily_token_budget": chat_settings.daily_token_budget,
            "budget_remaining": budget_remaining(chat_settings),
            "days": days,
        })
