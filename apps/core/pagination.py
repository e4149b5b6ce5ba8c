"""Lists answer {"results": [...], "next": <cursor or null>} (API.md)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from rest_framework import pagination
from rest_framework.exceptions import NotFound as CursorNotFound
from rest_framework.response import Response

from .exceptions import NotFound, ValidationFailed


class CursorInvalid(NotFound):
    code = "ERROR_CURSOR_INVALID"
    title = "No such page"


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-created_at"

    def get_ordering(self, request, queryset, view):
        """A view may set `ordering`; otherwise newest first."""
        ordering = getattr(view, "ordering", None)
        if ordering:
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)

    def get_page_size(self, request):
        """A page_size that is not a whole number from 1 to max_page_size is an error, not
        the default page in disguise."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            message = f"A whole number from 1 to {self.max_page_size}."
            raise ValidationFailed(errors={self.page_size_query_param: [message]})
        return size

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except CursorNotFound:
            raise CursorInvalid("This cursor names no page of this list; start again "
                                "without one.") from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size,
                                           default=self.page_size)
        return parameters

    def get_next_cursor(self) -> str | None:
        link = self.get_next_link()
        if not link:
            return None
        return parse_qs(urlparse(link).query).get(self.cursor_query_param, [None])[0]

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_cursor()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True,
                         "description": "Pass as ?cursor= for the next page."},
            },
        }
