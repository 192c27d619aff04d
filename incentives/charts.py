"""Charts drawn on the server as inline SVG (no JavaScript library, no CDN)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from incentives.leaderboards import Flow

BLUE = "13,110,253"
GREEN = "25,135,84"


def _who_to_whom() -> str:
    return gettext("Who contributes to whom: rows are contributor teams, columns owner teams")


def _trend_title() -> str:
    return gettext("Cross-team points (bars) and changes (line) over time")


def _points_changes(points, changes) -> str:
    return gettext("%(points)s points, %(changes)s change(s)") % {
        "points": points,
        "changes": changes,
    }


def _short(label: str, n: int = 22) -> str:
    return label if len(label) <= n else "…" + label[-(n - 1) :]


def heatmap(flow: Flow, *, cell: int = 48) -> SafeString:
    """Contributor teams (rows) × owner teams (columns); darker = more points."""
    teams = flow.teams
    if not teams:
        return format_html(
            '<p class="text-muted" data-testid="flow-empty">{}</p>',
            gettext("No cross-team work in this period."),
        )
    left, top = 180, 150
    width, height = left + cell * len(teams) + 130, top + cell * len(teams) + 10
    top_points = float(flow.max_points) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" data-testid="flow-heatmap" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'class="img-fluid" font-size="11" font-family="system-ui, sans-serif">',
        f"<title>{escape(_who_to_whom())}</title>",
    ]
    for i, (_, label) in enumerate(teams):
        y = top + i * cell + cell / 2 + 4
        parts.append(
            f'<text x="{left - 6}" y="{y:.0f}" text-anchor="end">{escape(_short(label))}</text>'
        )
        x = left + i * cell + cell / 2
        parts.append(
            f'<text transform="translate({x:.0f},{top - 6}) rotate(-45)">'
            f"{escape(_short(label))}</text>"
        )
    for r, (row_id, row_label) in enumerate(teams):
        for c, (col_id, col_label) in enumerate(teams):
            points, changes = flow.cells.get((row_id, col_id), (Decimal("0"), 0))
            share = float(points) / top_points if points > 0 else 0.0
            x, y = left + c * cell, top + r * cell
            opacity = 0.06 + 0.94 * share if points or changes else 0.02
            parts.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="rgb({BLUE})" fill-opacity="{opacity:.2f}" data-points="{points}">'
                f"<title>{escape(row_label)} → {escape(col_label)}: "
                f"{escape(_points_changes(points, changes))}</title></rect>"
            )
            if points:
                color = "#fff" if share > 0.55 else "#212529"
                parts.append(
                    f'<text x="{x + (cell - 2) / 2:.0f}" y="{y + cell / 2 + 3:.0f}" '
                    f'text-anchor="middle" font-size="10" fill="{color}">{float(points):.0f}</text>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label is escaped above


def trend_chart(
    series: list[tuple[dt.date, Decimal, int]], *, width: int = 720, height: int = 240
) -> SafeString:
    """Bars: points per bucket; line: cross-team changes (right-hand scale)."""
    if not series:
        return format_html('<p class="text-muted">{}</p>', gettext("No data."))
    left, right, top, bottom = 48, 40, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    max_p = max((float(p) for _, p, _ in series), default=0.0) or 1.0
    max_n = max((n for _, _, n in series), default=0) or 1
    step = plot_w / len(series)
    bar = max(step * 0.6, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" data-testid="trend-chart" '
        f'viewBox="0 0 {width} {height}" width="100%" font-size="11" '
        f'font-family="system-ui, sans-serif">',
        f"<title>{escape(_trend_title())}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#adb5bd"/>',
    ]
    for frac in (0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e9ecef"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{max_p * frac:.0f}</text>'
            f'<text x="{left + plot_w + 4}" y="{y + 4:.1f}" fill="rgb({GREEN})">'
            f"{max_n * frac:g}</text>"
        )
    points_line = []
    label_every = max(1, len(series) // 8)
    for i, (day, p, n) in enumerate(series):
        x = left + i * step + (step - bar) / 2
        h = plot_h * float(p) / max_p if p > 0 else 0
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}" fill="rgb({BLUE})" fill-opacity="0.75">'
            f"<title>{day}: {escape(_points_changes(p, n))}</title></rect>"
        )
        cx = left + i * step + step / 2
        cy = top + plot_h * (1 - max(n, 0) / max_n)
        points_line.append(f"{cx:.1f},{cy:.1f}")
        if i % label_every == 0:
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                f"{day:%m-%d}</text>"
            )
    parts.append(
        f'<polyline class="changes" fill="none" stroke="rgb({GREEN})" stroke-width="2" '
        f'points="{" ".join(points_line)}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - no user text in this chart
