"""Reads commits straight from git: ONE `git log -z --numstat` per ingest, parsed as it streams.

Each commit is printed as

    RS sha US parents US author name US author email US author date US committer name
    US committer email US committer date US encoding US raw body GS NUL [numstat entries]

with RS = 0x1e, US = 0x1f, GS = 0x1d, dates `--date=raw` ("<epoch> <+hhmm>"), and `-z`
numstat entries `added TAB removed TAB path NUL` (a rename: `added TAB removed TAB NUL src NUL
dst NUL`; binary files have `-` for both counts). A record is only accepted as a new commit when
it starts with 40 hex digits and US, so an RS inside a commit message cannot split a commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from federation import git

RS, US, GS = b"\x1e", b"\x1f", b"\x1d"
LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ad%x1f%cn%x1f%ce%x1f%cd%x1f%e%x1f%B%x1d"
_HEADER = re.compile(rb"\A[0-9a-f]{40}\x1f")
_RECORD_START = re.compile(rb"[0-9a-f]{40}\x1f")
_PARENTS = re.compile(rb"\A(?:[0-9a-f]{40}(?: [0-9a-f]{40})*)?\Z")
_COAUTHOR = re.compile(r"^co-authored-by:\s*(.*?)\s*<([^<>\s]*)>\s*$", re.IGNORECASE | re.MULTILINE)
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{40})")

UTC = dt.UTC
MIN_TS = int(dt.datetime(1, 1, 2, tzinfo=UTC).timestamp())
MAX_TS = int(dt.datetime(9999, 12, 30, tzinfo=UTC).timestamp())
FAR_PAST = int(dt.datetime(1990, 1, 1, tzinfo=UTC).timestamp())
MAX_OFFSET = 14 * 60


class GitLogError(ValueError):
    """The bytes are not `git log` output in LOG_FORMAT (never raised for what git prints)."""


@dataclass(slots=True)
class FileStat:
    path: str  # decoded with surrogateescape, so odd bytes survive
    added: int | None  # None for binary files
    removed: int | None
    old_path: str | None = None  # the source of a rename (-M), else None


@dataclass(slots=True)
class Commit:
    sha: str
    parents: list[str]
    author_name: str
    author_email: str
    author_ts: int
    author_offset: int  # minutes east of UTC
    committer_name: str
    committer_email: str
    commit_ts: int
    commit_offset: int
    body: str
    files: list[FileStat] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    _trailers: list | None = None
    _reverts: str | None = None

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        return self.body.split("\n", 1)[0].strip()

    @property
    def authored_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.author_ts, UTC)

    @property
    def committed_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.commit_ts, UTC)

    def coauthors(self) -> list[tuple[str, str]]:
        """(name, lower-case email) of each `Co-authored-by` trailer with an email."""
        if self._trailers is None:
            body = self.body
            self._trailers = (
                [(n, e.lower()) for n, e in _COAUTHOR.findall(body) if "@" in e]
                if "-by:" in body or "-BY:" in body.upper()
                else []
            )
        return self._trailers

    def reverts(self) -> str | None:
        """The sha this commit reverts (`git revert`'s message), else None."""
        if self._reverts is None:
            m = _REVERTS.search(self.body) if self.body.startswith("Revert") else None
            self._reverts = m.group(1) if m else ""
        return self._reverts or None


def log_args(tip: str, exclude: Iterable[str] = ()) -> list[str]:
    """Arguments of the one `git log` an ingest runs: every commit in `tip ^exclude...`, each
    after all of its children (`--topo-order`, for graph.Landings)."""
    return [
        "log",
        "--topo-order",
        "-z",
        "--numstat",
        "-M",
        "--no-color",
        "--no-notes",
        "--no-mailmap",
        "--date=raw",
        f"--format={LOG_FORMAT}",
        tip,
        *(f"^{sha}" for sha in exclude),
        "--",
    ]


def read_commits(repo: Path, tip: str, exclude: Iterable[str] = (), *, timeout=None):
    """Stream and parse every commit in the range (one git call)."""
    return parse(git.stream(log_args(tip, exclude), repo=repo, timeout=timeout))


def parse(chunks: Iterable[bytes]) -> Iterator[Commit]:
    """Parse the `git log` output given as any split of its bytes (memory: about one record;
    lines are gathered into ~1 MiB blocks before being scanned, which keeps it fast)."""
    buf = bytearray()
    start = -1  # where the current record's bytes begin (just after its RS)
    scan = 0
    pending: list[bytes] = []
    size = 0
    now = _now_ts()
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size < 1 << 20:
            continue
        buf += b"".join(pending)
        pending, size = [], 0
        start, scan = yield from _scan(buf, start, scan, now)
        if start > 0:
            del buf[:start]
            scan -= start
            start = 0
    buf += b"".join(pending)
    start, scan = yield from _scan(buf, start, scan, now)
    if start >= 0:
        yield _record(bytes(buf[start:]), now)


def _scan(buf: bytearray, start: int, scan: int, now: int):
    """Yield every complete record in buf; return the new (start, scan)."""
    while True:
        p = buf.find(RS, scan)
        if p < 0:
            return start, len(buf)
        if len(buf) - p - 1 < 41:
            return start, p  # not enough bytes yet to tell a record start from a stray RS
        if _RECORD_START.match(buf, p + 1):
            if start >= 0:
                yield _record(bytes(buf[start:p]), now)
            start = p + 1
        scan = p + 1


def _record(raw: bytes, now: int) -> Commit:
    fields = raw.split(US, 9)
    if len(fields) < 10 or not _HEADER.match(raw):
        raise GitLogError(f"unparseable git log record: {raw[:80]!r}")
    sha, parents, an, ae, ad, cn, ce, cd, enc, rest = fields
    if not _PARENTS.match(parents):
        raise GitLogError(f"unparseable parents in git log record {sha[:40]!r}")
    end = rest.rfind(GS)
    body, tail = (rest[:end], rest[end + 1 :]) if end >= 0 else (rest, b"")
    flags: set[str] = set()
    author_ts, author_offset = _date(ad, flags, "author", now)
    commit_ts, commit_offset = _date(cd, flags, "committer", now)
    email = _text(ae, flags).strip().lower()
    if not email:
        flags.add("no_author_email")
    if enc and enc.strip().lower() not in (b"utf-8", b"utf8"):
        flags.add("legacy_encoding")
    text = _text(body, flags)
    return Commit(
        sha=sha.decode("ascii"),
        parents=parents.decode("ascii").split(),
        author_name=_text(an, flags).strip()[:200],
        author_email=email[:254],
        author_ts=author_ts,
        author_offset=author_offset,
        committer_name=_text(cn, flags).strip()[:200],
        committer_email=_text(ce, flags).strip().lower()[:254],
        commit_ts=commit_ts,
        commit_offset=commit_offset,
        body=text.replace("\x00", "") if "\x00" in text else text,
        files=_numstat(tail) if len(tail) > 2 else [],
        flags=flags,
    )


def _text(raw: bytes, flags: set[str]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        flags.add("bad_encoding")
        return raw.decode("utf-8", "replace")


def _date(raw: bytes, flags: set[str], who: str, now: int) -> tuple[int, int]:
    """`<epoch> <+hhmm>` -> (clamped epoch seconds, offset minutes); odd values are flagged."""
    stamp, _, zone = raw.partition(b" ")
    try:
        ts = int(stamp)
    except ValueError:
        flags.add(f"bad_{who}_date")
        return 0, 0
    offset = 0
    if len(zone) == 5 and zone[:1] in (b"+", b"-") and zone[1:].isdigit():
        offset = int(zone[1:3]) * 60 + int(zone[3:5])
        if zone[:1] == b"-":
            offset = -offset
    elif zone:
        flags.add(f"bad_{who}_date")
    if offset > MAX_OFFSET or offset < -MAX_OFFSET:
        flags.add(f"odd_{who}_offset")
        offset = 0
    if ts < FAR_PAST:
        flags.add(f"{who}_date_far_past")
    elif ts > now + 86400:
        flags.add(f"{who}_date_far_future")
    return min(max(ts, MIN_TS), MAX_TS), offset


def _now_ts() -> int:
    return int(dt.datetime.now(UTC).timestamp())


def _numstat(tail: bytes) -> list[FileStat]:
    files: list[FileStat] = []
    tokens = tail.split(b"\x00")
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        i += 1
        parts = token.split(b"\t", 2)
        if len(parts) != 3:
            continue
        added, removed, path = parts
        added = added.lstrip(b"\n")
        old = None
        if not path and i + 1 < n:  # rename or copy: NUL src NUL dst
            old, path = tokens[i], tokens[i + 1]
            i += 2
        try:
            a = None if added == b"-" else int(added)
            r = None if removed == b"-" else int(removed)
        except ValueError:
            continue
        files.append(
            FileStat(
                path.decode("utf-8", "surrogateescape"),
                a,
                r,
                None if old is None else old.decode("utf-8", "surrogateescape"),
            )
        )
    return files
