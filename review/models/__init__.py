"""Models of the review app, one module per idea."""

from review.models.audit import AuditEntry
from review.models.disclosure import (
    FINAL_STATES,
    Disclosure,
    Lane,
    LaneAssignment,
    Vote,
)
from review.models.patents import Patent, PatentDecision, PatentLink
from review.models.screening import Finding, Screening, Severity, Waiver

__all__ = [
    "FINAL_STATES",
    "AuditEntry",
    "Disclosure",
    "Finding",
    "Lane",
    "LaneAssignment",
    "Patent",
    "PatentDecision",
    "PatentLink",
    "Screening",
    "Severity",
    "Vote",
    "Waiver",
]
