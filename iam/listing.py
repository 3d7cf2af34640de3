"""Helpers for console tables: follow an AWS list action's Marker to the end, and page
rows for display."""

from django.core.paginator import Paginator

from console.actions import run

PAGE_SIZE = 50


def all_pages(request, action, key, params=None):
    """Every item of a paginated AWS list action: ``(items, None)`` or ``(None, error)``."""
    params = dict(params or {})
    params.setdefault("MaxItems", 1000)
    items = []
    while True:
        result, error = run(request, action, params)
        if error:
            return None, error
        items.extend(result.get(key, []))
        if not result.get("IsTruncated"):
            return items, None
        params["Marker"] = result["Marker"]


def paginate(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
