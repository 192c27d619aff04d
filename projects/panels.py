"""Sections of the project page that other apps contribute (contributors, disclosure, mirror).

Apps above `projects` register a panel in their AppConfig.ready(), so `projects` never imports
them. A panel is (order, title, template, context function(project, user) -> dict | None);
returning None hides it.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    order: int
    title: str
    template: str
    context: Callable


_PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)
        _PANELS.sort(key=lambda p: p.order)


def render_context(project, user) -> list[dict]:
    out = []
    for panel in _PANELS:
        ctx = panel.context(project, user)
        if ctx is not None:
            out.append({"title": panel.title, "template": panel.template, **ctx})
    return out
