"""Commit emails -> Identity rows (created unresolved when people/ does not know them)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from people.models import Identity, Person

_BOT_LOCAL = re.compile(r"\[bot\]|(?:^|[-_.+])bots?(?:$|[-_.+])|^(?:dependabot|renovate)", re.I)
_BOT_NAME = re.compile(r"\[bot\]$|(?:^|[-_ ])bot$", re.I)
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Who:
    identity_id: int
    person_id: int | None
    value: str
    is_bot: bool


def looks_like_bot(email: str, name: str = "") -> bool:
    local = email.partition("@")[0]
    return bool(_BOT_LOCAL.search(local) or _BOT_NAME.search(name.strip()))


def identities_for(emails: dict[str, str], *, create: set[str]) -> tuple[dict[str, Who], int]:
    """Look up email identities ({email: git name}); emails in `create` that nobody knows become
    unresolved identities (person empty), flagged as bots when they look like one. A person's
    primary email counts as known even without an Identity row (one is then added)."""
    found: dict[str, Who] = {}
    wanted = [e for e in emails if e]
    for i in range(0, len(wanted), CHUNK):
        for ident_id, value, person_id, is_bot in Identity.objects.filter(
            kind=Identity.Kind.EMAIL, value__in=wanted[i : i + CHUNK]
        ).values_list("id", "value", "person_id", "is_bot"):
            found[value] = Who(ident_id, person_id, value, is_bot)
    missing = [e for e in wanted if e not in found]
    new_rows = []
    for i in range(0, len(missing), CHUNK):
        for person_id, email in Person.objects.filter(email__in=missing[i : i + CHUNK]).values_list(
            "id", "email"
        ):
            new_rows.append(Identity(kind=Identity.Kind.EMAIL, value=email, person_id=person_id))
    primary = {row.value for row in new_rows}
    for email in missing:
        if email in create and email not in primary:
            name = emails[email] or ""
            new_rows.append(
                Identity(
                    kind=Identity.Kind.EMAIL,
                    value=email,
                    display_name=name[:200],
                    is_bot=looks_like_bot(email, name),
                )
            )
    if new_rows:
        Identity.objects.bulk_create(new_rows, ignore_conflicts=True, batch_size=CHUNK)
        made = [r.value for r in new_rows]
        for i in range(0, len(made), CHUNK):
            for ident_id, value, person_id, is_bot in Identity.objects.filter(
                kind=Identity.Kind.EMAIL, value__in=made[i : i + CHUNK]
            ).values_list("id", "value", "person_id", "is_bot"):
                found[value] = Who(ident_id, person_id, value, is_bot)
    return found, len(new_rows)
