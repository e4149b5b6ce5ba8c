"""The REST mirror of the MCP registry (API.md): same tools, same answers."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import IsTenantReader
from apps.core.tools import tool_registry

from ..selectors import tool_call_list
from ..services import tool_context_for_request
from . import serializers as s


class ToolsListView(APIView):
    permission_classes = [IsTenantReader]

    @extend_schema(request=s.ToolsListInput, responses={200: s.ToolsListOutput}, tags=["mcp"])
    def post(self, request):
        tools = tool_registry.visible_to(tool_context_for_request(request, channel="rest"))
        return Response({"tools": [tool.describe() for tool in tools]})


class ToolsCallView(APIView):
    permission_classes = [IsTenantReader]

    @extend_schema(request=s.ToolsCallInput, responses={200: s.ToolsCallOutput}, tags=["mcp"])
    def post(self, request):
        serializer = s.ToolsCallInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        context = tool_context_for_request(request, channel="rest")
        result = tool_registry.call(data["name"], data.get("arguments"), context)
        return Response(result.as_mcp_json())


class ToolCallListView(GenericAPIView):
    """The audit of tool calls, newest first; ?tool= and ?outcome= filter."""

    serializer_class = s.ToolCallSerializer

    @extend_schema(responses={200: s.ToolCallSerializer(many=True)}, tags=["mcp"])
    def get(self, request):
        calls = tool_call_list(tool=request.query_params.get("tool") or None,
                               outcome=request.query_params.get("outcome") or None)
        page = self.paginate_queryset(calls)
        return self.get_paginated_response(s.ToolCallSerializer(page, many=True).data)
