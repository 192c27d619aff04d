"""Writes of the incentives app, in one place for the pipeline, tasks, views and admin.

ingest(*, project, repo=None, source="gitlab", seen_at=None, full=False) -> IngestReport
policy_publish(*, effective_from, summary, by=None, allow_past=False, **params)
awards_recompute_for_memberships(*, membership_ids, reason)   # after an org import
awards_recompute_for_identities(*, identity_ids, reason)
awards_recompute_for_project(*, project, since, reason)       # after an ownership fix
awards_recompute_period(*, since, until, reason, by=None)     # an admin's explicit recompute
identity_merge_accept(*, identity, person, by, reasons=()) / identity_merge_reject(...)
"""

from incentives.identities import identity_merge_accept, identity_merge_reject
from incentives.ingest import IngestError, IngestReport, ingest
from incentives.policies import PolicyError, policy_publish
from incentives.recompute import (
    awards_recompute_for_identities,
    awards_recompute_for_memberships,
    awards_recompute_for_project,
    awards_recompute_period,
)

__all__ = [
    "IngestError",
    "IngestReport",
    "PolicyError",
    "awards_recompute_for_identities",
    "awards_recompute_for_memberships",
    "awards_recompute_for_project",
    "awards_recompute_period",
    "identity_merge_accept",
    "identity_merge_reject",
    "ingest",
    "policy_publish",
]
