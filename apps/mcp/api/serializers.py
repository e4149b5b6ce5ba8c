from rest_framework import serializers


class ToolsListInput(serializers.Serializer):
    pass


class ToolSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    inputSchema = serializers.DictField()
    outputSchema = serializers.DictField()
    annotations = serializers.DictField()


class ToolsListOutput(serializers.Serializer):
    tools = ToolSerializer(many=True)


class ToolsCallInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    arguments = serializers.JSONField(required=False, default=dict)


class ToolsCallOutput(serializers.Serializer):
    content = serializers.ListField(child=serializers.DictField())
    structuredContent = serializers.DictField(allow_null=True)
    isError = serializers.BooleanField()
