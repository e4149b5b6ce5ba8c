"""Serializer fields as the API document states them."""

from __future__ import annotations

from rest_framework import serializers


class CharField(serializers.CharField):
    """Text, and only text: DRF's CharField turns 0 or 1.5 into "0" and "1.5", which the
    document (type: string) does not allow. Output is unchanged."""

    default_error_messages = {"invalid": "Not a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
