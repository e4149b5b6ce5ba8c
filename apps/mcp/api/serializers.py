from rest_framework import serializers

from apps.core.fields import CharField


class ToolsListInput(serializers.Serializer):
    pass


class ToolSerializer(serializers.Serializer):
    name = CharField()
    title = CharField()
    description = CharField()
    inputSchema = serializers.DictField()
    outputSchema = serializers.DictField()
    annotations = serializers.DictField()


class ToolsListOutput(serializers.Serializer):
    tools = ToolSerializer(many=True)


class ToolsCallInput(serializers.Serializer):
    name = CharField(max_length=100)
    arguments = serializers.DictField(required=False, default=dict)


class ToolsCallOutput(serializers.Serializer):
    content = serializers.ListField(child=serializers.DictField())
    structuredContent = serializers.DictField(allow_null=True)
    isError = serializers.BooleanField()


class ToolCallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tool = CharField()
    channel = CharField()
    user_email = CharField()
    api_key_id = serializers.IntegerField(allow_null=True)
    grant = CharField(
        help_text="The connection that called: an API key or an OAuth sign-in.")
    arguments = serializers.JSONField()
    outcome = CharField()
    error_code = CharField()
    duration_ms = serializers.FloatField()
    created_at = serializers.DateTimeField()
