"""Pagination the way each forge does it.

GitLab: offset pagination with X-Total, X-Total-Pages, X-Page, X-Per-Page, X-Next-Page,
X-Prev-Page and a Link header; keyset pagination (``pagination=keyset``) with only a
``rel="next"`` link carrying ``id_after``/``id_before``.
GitHub: a Link header with next, last, first and prev, ``per_page`` up to 100.
"""

import math

from localforge.web import Response, page_params, url_with


def _link(parts: list[tuple[str, str]]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in parts)


def gitlab_offset(base: str, req, items: list, render, total: int | None = None) -> Response:
    """``items`` is the whole list, or just this page when ``total`` is given."""
    page, per_page = page_params(req, 20)
    if total is None:
        total = len(items)
        items = items[(page - 1) * per_page : page * per_page]
    pages = max(1, math.ceil(total / per_page))
    path, query = req.raw_path, req.query

    def url(number):
        return url_with(base, path, query, page=number, per_page=per_page)

    links = []
    if page > 1:
        links.append(("prev", url(page - 1)))
    if page < pages:
        links.append(("next", url(page + 1)))
    links += [("first", url(1)), ("last", url(pages))]
    headers = [
        ("X-Page", str(page)),
        ("X-Per-Page", str(per_page)),
        ("X-Next-Page", str(page + 1) if page < pages else ""),
        ("X-Prev-Page", str(page - 1) if page > 1 else ""),
        ("X-Total", str(total)),
        ("X-Total-Pages", str(pages)),
        ("Link", _link(links)),
    ]
    return Response(200, [render(item) for item in items], headers)


def gitlab_keyset(base: str, req, items: list, render) -> Response:
    """Keyset pagination ordered by id; ``items`` must be every matching row."""
    _, per_page = page_params(req, 20)
    descending = (req.arg("sort") or "desc").lower() == "desc"
    rows = sorted(items, key=lambda r: r["id"], reverse=descending)
    after, before = req.arg("id_after"), req.arg("id_before")
    if after and after.isdigit() and not descending:
        rows = [r for r in rows if r["id"] > int(after)]
    if before and before.isdigit() and descending:
        rows = [r for r in rows if r["id"] < int(before)]
    chunk = rows[:per_page]
    headers = [("X-Per-Page", str(per_page))]
    if len(rows) > per_page:
        last = chunk[-1]["id"]
        url = url_with(
            base,
            req.raw_path,
            req.query,
            id_after=None if descending else last,
            id_before=last if descending else None,
            page=None,
            per_page=per_page,
        )
        headers.append(("Link", _link([("next", url)])))
    return Response(200, [render(item) for item in chunk], headers)


def github(base: str, req, items: list, render, default=30, total=None, maximum=100) -> Response:
    """``items`` is the whole list, or just this page when ``total`` is given."""
    page, per_page = page_params(req, default, maximum)
    if total is None:
        total = len(items)
        items = items[(page - 1) * per_page : page * per_page]
    pages = max(1, math.ceil(total / per_page))
    chunk = items
    path, query = req.raw_path, req.query

    def url(number):
        return url_with(base, path, query, per_page=per_page, page=number)

    links = []
    if page > 1:
        links.append(("prev", url(page - 1)))
    if page < pages:
        links += [("next", url(page + 1)), ("last", url(pages))]
    if page > 1:
        links.append(("first", url(1)))
    headers = [("Link", _link(links))] if links else []
    return Response(200, [render(item) for item in chunk] if render else chunk, headers)
