"""The vocabulary shared by the runner and the checks.

A check is a class with a ``name``, a ``rules_version`` and up to three hooks, each returning
an iterable of FindingData: ``scan_file`` (called once per blob and path), ``scan_commit``
(commit messages) and ``finish`` (conclusions about the whole tree). The runner owns the walk,
so adding a check never adds a pass over the repository.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from .config import ScreeningConfig
from .errors import InvalidConfig
from .gitsource import BlobData, CommitInfo, validate_sha

ENGINE_VERSION = "1.0"

BLOCKER, HIGH, MEDIUM, LOW, INFO = "blocker", "high", "medium", "low", "info"
SEVERITIES = (BLOCKER, HIGH, MEDIUM, LOW, INFO)
# A finding blocks the release until fixed or waived; `info` findings only inform.
BLOCKING_SEVERITIES = (BLOCKER, HIGH, MEDIUM, LOW)

FULL_HISTORY, SNAPSHOT = "full_history", "snapshot"
MODES = (FULL_HISTORY, SNAPSHOT)

MODE_SYMLINK, MODE_SUBMODULE = "120000", "160000"

ProgressCallback = Callable[[int, int, str], None]

_WS = re.compile(r"\s+")


def fingerprint(check: str, rule: str, path: str | None, match: str = "") -> str:
    """A finding's identity across screenings, used to carry waivers forward.

    It hashes the check, the rule, the path and the matched content with whitespace collapsed.
    The line number and the commit are left out on purpose: an unrelated edit above the match
    moves the line, and every new commit changes the sha, yet it is still the same problem and
    the same waiver should apply. Moving the file or changing the matched text makes a new
    finding, which is what a reviewer wants. Only a hash is stored, never the secret itself.
    """
    normalised = _WS.sub(" ", match).strip()
    raw = "\x1f".join((check, rule, path or "", normalised))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class FindingData:
    check: str
    rule: str
    severity: str
    path: str | None
    line: int | None
    commit: str | None
    message: str
    fingerprint: str

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "commit": self.commit,
            "message": self.message,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class ScanContext:
    """What to screen and how.

    ``repo`` is a bare repository (or a working tree, whose .git is used); ``sha`` the exact
    commit under review; ``license`` the outbound SPDX expression (None: taken from the LICENSE
    file, and a missing LICENSE is a finding).
    """

    repo: Path
    sha: str
    mode: str = FULL_HISTORY
    license: str | None = None
    config: ScreeningConfig = field(default_factory=ScreeningConfig)
    git_timeout: float = 120.0

    def __post_init__(self):
        object.__setattr__(self, "repo", Path(self.repo))
        try:
            validate_sha(self.sha)
        except ValueError as exc:
            raise InvalidConfig(str(exc)) from exc
        if self.mode not in MODES:
            raise InvalidConfig(f"mode must be one of {MODES}, not {self.mode!r}")
        if isinstance(self.config, dict):
            object.__setattr__(self, "config", ScreeningConfig.from_dict(self.config))


class BlobContent:
    """The content of one blob, loaded at most once and shared by every path it appears at."""

    __slots__ = ("oid", "_loader", "_blob", "_text", "_decoded", "_line_starts", "encoding")

    def __init__(self, oid: str, loader: Callable[[], BlobData] | None):
        self.oid = oid
        self._loader = loader
        self._blob: BlobData | None = None
        self._text: str | None = None
        self._decoded = False
        self._line_starts: list[int] | None = None
        self.encoding: str | None = None

    def blob(self) -> BlobData:
        if self._blob is None:
            if self._loader is None:
                self._blob = BlobData(self.oid, "none", 0, b"", False)
            else:
                self._blob = self._loader()
        return self._blob

    def text(self, binary_probe: int) -> str | None:
        if not self._decoded:
            self._decoded = True
            blob = self.blob()
            if not blob.binary and b"\0" not in blob.data[:binary_probe]:
                self._text, self.encoding = _decode(blob.data, blob.truncated)
        return self._text

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset into ``text``."""
        if self._line_starts is None:
            text = self._text or ""
            starts = [0]
            find = text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        return bisect_right(self._line_starts, offset)

    def release(self) -> None:
        self._blob = None
        self._text = None
        self._line_starts = None
        self._decoded = False


def _decode(data: bytes, truncated: bool) -> tuple[str | None, str | None]:
    """UTF-8 first; then CP949 (legacy Korean files); then Latin-1, which keeps ASCII intact."""
    if truncated:
        text = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            return text.decode(data, final=False), "utf-8"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp949"), "cp949"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


@dataclass(eq=False)
class TreeFile:
    """One path of the release: in the tree at the approved sha, or (full history) only in
    older commits. ``commit`` is the commit that introduced the blob (full history) or None."""

    path: str
    oid: str
    mode: str
    size: int | None
    commit: str | None = None
    in_tree: bool = True
    content: BlobContent | None = field(default=None, repr=False)
    binary_probe: int = 8000

    @property
    def is_symlink(self) -> bool:
        return self.mode == MODE_SYMLINK

    @property
    def is_submodule(self) -> bool:
        return self.mode == MODE_SUBMODULE

    def _content(self) -> BlobContent:
        if self.content is None:
            self.content = BlobContent(self.oid, None)
        return self.content

    def read(self) -> bytes:
        """The blob's bytes, up to the scan cap (``truncated`` says whether that was all)."""
        if self.is_submodule:
            return b""
        blob = self._content().blob()
        if self.size is None:
            self.size = blob.size
        return blob.data

    @property
    def truncated(self) -> bool:
        return not self.is_submodule and self._content().blob().truncated

    @property
    def is_binary(self) -> bool:
        if self.is_submodule:
            return False
        data = self.read()
        return self._content().blob().binary or b"\0" in data[: self.binary_probe]

    def text(self) -> str | None:
        """Decoded text, or None for binaries, symlinks' targets aside (they are text)."""
        if self.is_submodule:
            return None
        self.read()
        return self._content().text(self.binary_probe)

    def line_of(self, offset: int) -> int:
        return self._content().line_of(offset)

    @property
    def encoding(self) -> str | None:
        return self._content().encoding


class Check:
    """Base class for checks. Subclasses set ``name``, ``rules_version``, ``severities``."""

    name: ClassVar[str] = ""
    rules_version: ClassVar[str] = ""
    severities: ClassVar[dict[str, str]] = {}
    default_severity: ClassVar[str] = MEDIUM
    libraries: ClassVar[tuple[str, ...]] = ()  # distributions whose versions get recorded
    history: ClassVar[bool] = True  # also wants blobs that exist only in older commits

    def __init__(self, ctx: ScanContext):
        self.ctx = ctx
        self.peers: frozenset[str] = frozenset()  # names of the checks in this run

    def wants_content(self, f: TreeFile) -> bool:
        """Whether ``scan_file`` will read this file's content (lets the runner skip reads)."""
        return True

    def scan_file(self, f: TreeFile) -> Iterable[FindingData]:
        return ()

    def scan_commit(self, commit: CommitInfo) -> Iterable[FindingData]:
        return ()

    def finish(self) -> Iterable[FindingData]:
        return ()

    def finding(
        self,
        rule: str,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        commit: str | None = None,
        match: str = "",
        severity: str | None = None,
    ) -> FindingData:
        return FindingData(
            check=self.name,
            rule=rule,
            severity=severity or self.severities.get(rule, self.default_severity),
            path=path,
            line=line,
            commit=commit,
            message=message,
            fingerprint=fingerprint(self.name, rule, path, match),
        )
