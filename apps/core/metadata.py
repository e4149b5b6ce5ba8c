"""What OPTIONS answers on the API: the view's name, description and media types.

DRF's SimpleMetadata also describes the POST/PUT serializer's fields, which needs a
`serializer_class` on every view (a view without one answered 500); the OpenAPI
document at /api/schema/ is where fields are described."""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata


class ViewMetadata(SimpleMetadata):
    def determine_actions(self, request, view):
        return {}
