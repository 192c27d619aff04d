"""License notices and references recognised in file heads, as data.

Text is normalised to lowercase word tokens (punctuation, comment markers and line breaks
gone; ``2.0`` and ``2.0+`` kept) so one rule covers every comment style. Three kinds of rules:

* titles of full license texts: a full text is one license, whatever else it mentions (the
  GPL's "how to apply" appendix, the LGPL's references to the GPL, the EPL's secondary
  licenses);
* the GNU family, parsed rather than listed: family name, version, and whether an
  "or (at your option) any later version" follows;
* permissive and weak-copyleft notices and references ("licensed under the MIT license",
  "Apache License, Version 2.0", the BSD / ISC / MIT permission texts).

Measured against ScanCode's rule corpus in docs/decisions.md (Screening).
"""

from __future__ import annotations

import re

PROPRIETARY = "LicenseRef-Proprietary"

_TOKENS = re.compile(r"\d+(?:\.\d+)*\+?|[a-z]+")
LIC = r"licen[cs]e"
_REF = (
    r"(?:licensed|relicensed|released|distributed|available|provided|published|offered|"
    r"covered|governed|licenses this file to you|terms(?: and conditions)? of|use the)"
)

TITLE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (spdx, re.compile(rx))
    for spdx, rx in (
        ("GPL-2.0-only", rf"\bgnu general public {LIC} version 2 june 1991"),
        ("GPL-3.0-only", rf"\bgnu general public {LIC} version 3 29 june 2007"),
        ("LGPL-2.1-only", rf"\bgnu lesser general public {LIC} version 2.1 february 1999"),
        ("LGPL-2.0-only", rf"\bgnu library general public {LIC} version 2 june 1991"),
        ("LGPL-3.0-only", rf"\bgnu lesser general public {LIC} version 3 29 june 2007"),
        ("AGPL-3.0-only", rf"\bgnu affero general public {LIC} version 3 19 november 2007"),
        ("Apache-2.0", rf"\bapache {LIC} version 2.0 january 2004"),
        ("MPL-2.0", rf"\bmozilla public {LIC} version 2.0 1 definitions"),
        ("EPL-2.0", rf"\beclipse public {LIC} v 2.0 the accompanying program is provided"),
        ("EPL-1.0", rf"\beclipse public {LIC} v 1.0 the accompanying program is provided"),
    )
)  # fmt: skip

_NOT_AFTER = r"(?<!lesser )(?<!library )(?<!affero )"
# (family, name regex, versions that exist, the version a versionless mention means "or later" of)
GNU_FAMILIES: tuple[tuple[str, str, frozenset[str], str], ...] = (
    (
        "AGPL",
        rf"\b(?:gnu )?(?:affero (?:gnu )?(?:general public {LIC}|gpl)(?: agpl)?|agplv?)",
        frozenset({"1.0", "3.0"}),
        "3.0",  # "GNU Affero GPL" without a version: the FSF's AGPL is version 3
    ),
    (
        "LGPL",
        rf"\b(?:gnu )?(?:(?:lesser|library) (?:general public {LIC}|gpl)(?: lgpl)?|lgplv?)",
        frozenset({"2.0", "2.1", "3.0"}),
        "2.0",
    ),
    (
        "GPL",
        rf"\b{_NOT_AFTER}(?:gnu )?(?:general public {LIC}(?: gpl)?|gplv?)",
        frozenset({"1.0", "2.0", "3.0"}),
        "1.0",  # no version given: "you may choose any version ever published"
    ),
)
_FSF = r"(?:as published by (?:the )?free software foundation (?:fsf )?|published by (?:the )?fsf )"
_VERSION = r"(?:either )?(?:version |v )?(\d(?:\.\d)?)(\+)?(?!\d)"
_LATER = re.compile(r"\bor (?:\(?at your option\)? )?(?:any |a )?later\b|\band any later\b")
_TAIL = r"(?=((?: [a-z0-9.+]+){0,14}))"  # a lookahead: the next notice stays findable


def _gnu_patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    after = re.compile(rf"{name} (?:{_FSF})?{_VERSION}{_TAIL}")
    before = re.compile(rf"\bversion (\d(?:\.\d)?)(\+)? of (?:the )?{name}{_TAIL}")
    bare = re.compile(rf"\b{_REF} (?:[a-z]+ ){{0,4}}?{name}\b|{name} {_FSF}")
    return after, before, bare


_GNU = tuple(
    (fam, versions, bare_version, *_gnu_patterns(name))
    for fam, name, versions, bare_version in GNU_FAMILIES
)

_BSD_TEXT = r"redistribution and use in source and binary forms (?:[a-z]+ ){0,4}with or without modification"
# (spdx, regex, literals of which one must be in the text for the regex to be tried)
OTHER_RULES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (spdx, re.compile(rx), needs)
    for spdx, rx, needs in (
        ("Apache-2.0", rf"\bapache (?:software )?{LIC} (?:the {LIC} )?(?:version |v )?2(?:\.0)?\b", ("apache",)),
        ("MPL-2.0", rf"\bmozilla public {LIC} (?:mpl )?(?:version |v )?2\.0|\bmpl (?:version |v )?2\.0", ("mozilla", "mpl")),
        ("MPL-1.1", rf"\bmozilla public {LIC} (?:version |v )?1\.1", ("mozilla",)),
        ("EPL-2.0", rf"\beclipse public {LIC} (?:version |v )?2\.0|\bepl (?:version |v )?2\.0", ("eclipse", "epl")),
        ("EPL-1.0", rf"\beclipse public {LIC} (?:version |v )?1\.0|\bepl (?:version |v )?1\.0", ("eclipse", "epl")),
        ("CDDL-1.0", rf"\bcommon development and distribution {LIC}", ("common development",)),
        ("MIT", r"permission is hereby granted free of charge to any person obtaining a copy", ("permission is hereby",)),
        ("MIT", rf"\b{_REF} (?:[a-z]+ ){{0,6}}?mit(?: style)? {LIC}|\bmit licensed\b", ("mit ",)),
        ("ISC", r"permission to use copy modify and (?:or )?distribute this software for any purpose with or without fee is hereby granted", ("permission to use",)),
        ("ISC", rf"\b{_REF} (?:[a-z]+ ){{0,6}}?isc {LIC}", ("isc ",)),
        ("BSD-4-Clause", rf"{_BSD_TEXT}.{{0,1500}}advertising materials", ("advertising materials",)),
        ("BSD-3-Clause", rf"{_BSD_TEXT}.{{0,1500}}(?:neither the names?|names? of .{{0,120}}may not be used to endorse)", ("redistribution and use",)),
        ("BSD-2-Clause", _BSD_TEXT, ("redistribution and use",)),
        ("BSD-3-Clause", rf"\b(?:bsd 3 clause|3 clause bsd|new bsd|revised bsd|modified bsd|bsd new) {LIC}", ("bsd ",)),
        ("BSD-2-Clause", rf"\b(?:bsd 2 clause|2 clause bsd|simplified bsd|bsd simplified) {LIC}", ("bsd ",)),
        (PROPRIETARY, r"\bproprietary and confidential|unauthori[sz]ed copying of this file .{0,40}strictly prohibited", ("proprietary", "unauthori")),
    )
)  # fmt: skip
_GNU_NEEDS = ("general public", "gpl")
_TITLE_NEEDS = ("licen",)


def normalise(text: str) -> str:
    return " ".join(_TOKENS.findall(text.lower()))


def _family(spdx: str) -> str:
    if spdx.startswith(("GPL", "LGPL", "AGPL")):
        return spdx.split("-")[0]
    return "BSD" if spdx.startswith("BSD-") else spdx


def _gnu(normalised: str) -> list[tuple[str, str]]:
    """One GNU license per family: the first version mentioned, "or later" if any mention of
    that version says so (a short "AGPL 3.0" tag often precedes the full notice)."""
    found = []
    for family, versions, bare_version, after, before, bare in _GNU:
        hits = []
        for m in (*after.finditer(normalised), *before.finditer(normalised)):
            version = m.group(1) if "." in m.group(1) else f"{m.group(1)}.0"
            if version in versions:
                later = bool(m.group(2)) or bool(_LATER.search(m.group(3) or ""))
                hits.append((m.start(), version, later, m.group(0)))
        if hits:
            _, version, _, matched = min(hits)
            later = any(h[2] for h in hits if h[1] == version)
            found.append((f"{family}-{version}-{'or-later' if later else 'only'}", matched))
            continue
        m = bare.search(normalised)
        if m is not None:  # no version: any version may be chosen
            found.append((f"{family}-{bare_version}-or-later", m.group(0)))
    return found


def match_notices(normalised: str) -> tuple[str, list[tuple[str, str]]]:
    """("text", [one title]) for a full license text, else ("notice", [(spdx, matched)...])."""
    if any(n in normalised for n in _TITLE_NEEDS):
        for spdx, rx in TITLE_RULES:
            m = rx.search(normalised)
            if m is not None:
                return "text", [(spdx, m.group(0))]
    found = _gnu(normalised) if any(n in normalised for n in _GNU_NEEDS) else []
    families = {_family(s) for s, _ in found}
    for spdx, rx, needs in OTHER_RULES:
        if _family(spdx) in families or not any(n in normalised for n in needs):
            continue
        m = rx.search(normalised)
        if m is not None:
            families.add(_family(spdx))
            found.append((spdx, m.group(0)))
    return "notice", found
