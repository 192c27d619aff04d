"""The "Disclosure" panel on the project page (registered in ReviewConfig.ready)."""

from projects import selectors as project_selectors
from review import access, selectors
from review.models.disclosure import FINAL_STATES


def disclosure_panel(project, user) -> dict:
    d = selectors.project_disclosure(project)
    can_edit = project_selectors.can_edit(user, project)
    return {
        "disclosure": d,
        "can_view": d is not None and access.can_view(user, d),
        "can_request": can_edit and (d is None or d.state in FINAL_STATES),
    }
