"""Plain words for a policy version and for one ledger row ("why did I get 34 points?")."""

from __future__ import annotations

from incentives.models import Award, ScoringPolicy


def _n(value) -> str:
    return f"{float(value):g}"


def policy_in_words(p: ScoringPolicy) -> list[str]:
    owners = (
        "the owning team or any of its sub-teams"
        if p.include_subteams
        else "the owning team itself (sub-teams do not count)"
    )
    return [
        f"Version {p.version} applies to changes that land on or after {p.effective_from} "
        f"(dates are in the institute's time zone).",
        f"A change earns points only when it is cross-team: on the day it lands, its author is "
        f"not a member of {owners}. Same-team changes earn nothing, but they are counted in "
        "the project's activity.",
        "Merge commits, commits by bots, reverts, empty commits and a patch already counted "
        "(the same change on another branch, on the GitHub mirror, cherry-picked or rebased) "
        "earn nothing.",
        f"Points = {_n(p.base_points)} × size × acceptance × novelty × damping × share.",
        f"Size = 1 + {_n(p.size_per_decade)} × log10(1 + authored lines), at most "
        f"{_n(p.size_cap)}. Lines in vendored or generated files (lockfiles, vendor/, "
        "node_modules/, minified files, and paths marked linguist-vendored or "
        "linguist-generated in .gitattributes) are not authored lines.",
        f"Acceptance = {_n(p.acceptance_owner)} when a member of the owner team merged the "
        f"change (the merge commit that brought it onto the default branch), otherwise "
        f"{_n(p.acceptance_other)} (a direct push, or merged by someone else).",
        f"Novelty = {_n(p.novelty_bonus)} for your first change to a team you never "
        "contributed to before, otherwise 1.",
        f"Damping: changes under {p.tiny_lines} lines to the same project in the same week "
        "are scored together as if they were one change: each adds only the growth in size it "
        "brings. Splitting work into small pieces never earns more than landing it at once.",
        "Share: when a change has Co-authored-by trailers, its points are split equally "
        "between the author and the co-authors whose identity is known to the directory.",
        f"If a change is reverted within {p.revert_window_days} days, its points are taken "
        "back by a negative ledger row; nothing is ever edited silently.",
    ]


def award_in_words(a: Award) -> list[str]:
    f = a.facts or {}
    out = []
    if a.kind == Award.Kind.REVERT:
        return [a.reason]
    if a.kind == Award.Kind.ADJUSTMENT:
        prev = f.get("previous", {})
        out.append(
            f"Adjustment: {a.reason} The ledger held {prev.get('points', '0')} points for this "
            f"change; this row changes it by {a.points}."
        )
    teams = ", ".join(t["path"] or "(institute)" for t in f.get("author_teams", [])) or "no team"
    owner = (f.get("owner_team") or {}).get("path")
    day = f.get("landed_on", str(a.landed_on))
    change = a.change
    landing = {
        "merge": f"when its merge commit {change.merge_sha[:10]} brought it in",
        "history": "by its committer date (first ingest of the history)",
        "seen": "when the sync first saw it on the default branch",
    }.get(change.landing, "")
    if f.get("no_longer_credited"):
        out.append("This change is no longer credited to this person.")
        return out
    out.append(f"The change landed on {day} {landing}.")
    out.append(f"That day its author ({f.get('identity', '')}) was in: {teams}.")
    if owner is None:
        out.append("Nobody owned the project that day, so it is not cross-team.")
    else:
        sub = " (with its sub-teams)" if f.get("include_subteams") else ""
        out.append(f"The project was owned by {owner}{sub}.")
        out.append(
            "So it is cross-team." if f.get("cross_team") else "So it is same-team: no points."
        )
    factors = f.get("factors")
    if factors:
        acc = f.get("accepted_by")
        out.append(
            f"Size {factors['size']:g}: {change.lines_added} lines added and "
            f"{change.lines_removed} removed ({change.vendored_lines} more in "
            "vendored or generated files, not counted)."
        )
        out.append(
            f"Acceptance {factors['acceptance']:g}: "
            + (
                f"merged by {acc['identity']}, a member of the owner team."
                if acc
                else "not merged by an owner-team member."
            )
        )
        out.append(
            f"Novelty {factors['novelty']:g}: "
            + (
                "first change to this team."
                if factors["novelty"] > 1
                else "not the first change to this team."
            )
        )
        out.append(
            f"Damping {factors['damping']:g}"
            + (": pooled with earlier small changes that week." if factors["damping"] < 1 else ".")
        )
        out.append(f"Share {factors['share']:g} of the credit.")
        out.append(f"Points: {f.get('formula', '')} (policy version {f.get('policy_version')}).")
    if f.get("reverted"):
        out.append("The change was reverted, so it scores nothing now.")
    return out
