"""Countless page-number pagination for API lists.

Like the HTML lists (:func:`safecampus.core.pagination.paginate`), a page fetches
``page_size + 1`` rows to know whether there is a next page, and never runs ``count(*)``:
a page of a 200,000-row ledger costs the same as a page of an empty one.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from safecampus.core.pagination import paginate


class CountlessPagination(BasePagination):
    """``?page=N`` (from 1) and ``?page_size=M`` (1…200, default 50).

    Response: ``{"page": N, "next": url|null, "previous": url|null, "results": [...]}``.
    """

    page_size = 50
    max_page_size = 200
    page_query_param = "page"
    page_size_query_param = "page_size"

    def _size(self, request) -> int:
        try:
            size = int(request.query_params.get(self.page_size_query_param) or self.page_size)
        except (TypeError, ValueError):
            size = self.page_size
        return min(max(size, 1), self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page = paginate(request, queryset, per_page=self._size(request))
        return list(self.page.object_list)

    def _link(self, number: int | None):
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        page = self.page
        return Response({
            "page": page.number,
            "next": self._link(page.next_page_number if page.has_next else None),
            "previous": self._link(page.previous_page_number if page.has_previous else None),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["page", "next", "previous", "results"],
            "properties": {
                "page": {"type": "integer", "example": 1},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param, "required": False, "in": "query",
                "description": str(_("Page number, from 1.")), "schema": {"type": "integer"},
            },
            {
                "name": self.page_size_query_param, "required": False, "in": "query",
                "description": str(_("Rows per page (1–200, default 50).")),
                "schema": {"type": "integer"},
            },
        ]
