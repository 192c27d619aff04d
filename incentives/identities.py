"""Suggested merges of unresolved commit identities into people, applied only when accepted."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from incentives.ledger import RecomputeReport
from incentives.models import IdentityMerge
from incentives.recompute import awards_recompute_for_identities
from people.models import Identity, Person

_GITHUB_NOREPLY = re.compile(r"^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$")
_GITLAB_NOREPLY = re.compile(r"^(?:\d+-)?([^@]+)@users\.noreply\.")


class IdentityMergeError(Exception):
    """A merge that is not allowed, with a message for people."""


@dataclass
class Suggestion:
    identity: Identity
    person: Person
    reasons: list[str]


def _name_key(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "").casefold()
    return " ".join(sorted(re.findall(r"\w+", name)))


def _local(email: str) -> str:
    return email.partition("@")[0].casefold()


def _login(email: str) -> str | None:
    for pattern in (_GITHUB_NOREPLY, _GITLAB_NOREPLY):
        m = pattern.match(email)
        if m:
            return m.group(1).casefold()
    return None


def identity_merge_suggestions(*, limit: int = 200) -> list[Suggestion]:
    """Unresolved, non-bot identities with the people they probably belong to: same name, same
    email local part, or a GitLab/GitHub username matching the email (or a noreply login)."""
    unresolved = list(
        Identity.objects.filter(person__isnull=True, is_bot=False).order_by("value")[:limit]
    )
    if not unresolved:
        return []
    by_name, by_local, by_login = defaultdict(set), defaultdict(set), defaultdict(set)
    people = {p.id: p for p in Person.objects.all()}
    for p in people.values():
        by_name[_name_key(p.name)].add(p.id)
        by_local[_local(p.email)].add(p.id)
    for kind, value, display, person_id in Identity.objects.filter(
        person__isnull=False
    ).values_list("kind", "value", "display_name", "person_id"):
        if kind == Identity.Kind.EMAIL:
            by_local[_local(value)].add(person_id)
        else:
            by_login[value.casefold()].add(person_id)
        if display:
            by_name[_name_key(display)].add(person_id)
    decided = set(IdentityMerge.objects.values_list("identity_id", "person_id"))
    out = []
    for ident in unresolved:
        reasons = defaultdict(list)
        if ident.display_name and _name_key(ident.display_name):
            for pid in by_name.get(_name_key(ident.display_name), ()):
                reasons[pid].append(f"same name ({ident.display_name})")
        local = _local(ident.value)
        for pid in by_local.get(local, ()):
            reasons[pid].append(f"same email local part ({local})")
        for login in {local, _login(ident.value)} - {None}:
            for pid in by_login.get(login, ()):
                reasons[pid].append(f"GitLab/GitHub username {login}")
        for pid, why in sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            if (ident.id, pid) not in decided:
                out.append(Suggestion(ident, people[pid], why))
    return out


def identity_merge_accept(*, identity: Identity, person: Person, by, reasons=()) -> RecomputeReport:
    """Give the unresolved identity to `person`, then recompute every award it touches (the
    differences are written as adjustments naming this merge)."""
    with transaction.atomic():
        ident = Identity.objects.select_for_update().get(pk=identity.pk)
        if ident.person_id is not None:
            raise IdentityMergeError(
                gettext("%(identity)s already belongs to %(person)s.")
                % {"identity": ident.value, "person": ident.person}
            )
        if ident.is_bot:
            raise IdentityMergeError(gettext("%s is a bot identity.") % ident.value)
        ident.person = person
        ident.save(update_fields=["person"])
        IdentityMerge.objects.update_or_create(
            identity=ident,
            person=person,
            defaults={
                "state": IdentityMerge.State.ACCEPTED,
                "reasons": list(reasons),
                "decided_by": by,
            },
        )
        return awards_recompute_for_identities(
            identity_ids=[ident.id],
            reason=f"Identity {ident.value} merged into {person.name} (accepted by {by}).",
        )


def identity_merge_reject(*, identity: Identity, person: Person, by, reasons=()) -> IdentityMerge:
    """Remember that this suggestion is wrong so it is not shown again."""
    decision, _ = IdentityMerge.objects.update_or_create(
        identity=identity,
        person=person,
        defaults={
            "state": IdentityMerge.State.REJECTED,
            "reasons": list(reasons),
            "decided_by": by,
        },
    )
    return decision
