"""Pagination for HTML lists and the API: fixed page sizes, no unbounded lists.

HTML lists page without ``count(*)``: a page fetches ``per_page + 1`` rows to know whether
a next page exists, so a page view costs the same on a 200,000-row ledger as on an empty one.
"""

from dataclasses import dataclass

from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@dataclass
class Page:
    """One page of rows. ``number`` starts at 1."""

    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def paginate(request, queryset, *, per_page: int = 50, max_page: int = 10_000) -> Page:
    """Return page ``?page=N`` of ``queryset`` (N clamped to 1…max_page; junk → 1)."""
    try:
        number = int(request.GET.get("page") or 1)
    except (TypeError, ValueError):
        number = 1
    return page_of(queryset, number, per_page=per_page, max_page=max_page)


def page_of(queryset, number: int, *, per_page: int = 50, max_page: int = 10_000) -> Page:
    """Page ``number`` (clamped to 1…max_page) of ``queryset`` without ``count(*)``: one row
    more than a page is fetched to know whether a next page exists."""
    number = min(max(int(number or 1), 1), max_page)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)
