"""Fuzzing the `git log` parser (incentives.gitlog.parse) with hypothesis.

- Well-formed logs built from arbitrary field values (control bytes, bad UTF-8, odd dates and
  numstat entries included) parse to exactly the commits that were written, however the bytes
  are split into chunks.
- Mutated logs (bytes flipped, cut, inserted) are parsed or refused with the parser's own
  GitLogError; nothing else escapes, and every commit it yields is well-typed.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incentives import gitlog
from incentives.gitlog import RS, US, Commit, GitLogError, parse

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEX = "0123456789abcdef"

shas = st.text(HEX, min_size=40, max_size=40)
# Field text: anything but the separators git never prints inside a field (US, and NUL, which
# `-z` reserves); bytes that are not UTF-8 are allowed.
field_bytes = st.binary(max_size=30).map(lambda b: b.replace(US, b"").replace(b"\x00", b""))
dates = st.one_of(
    st.tuples(st.integers(-(10**12), 10**12), st.sampled_from(["+0000", "+0900", "-0530", "+9999"]))
    .map(lambda t: f"{t[0]} {t[1]}".encode()),
    st.binary(max_size=12).map(lambda b: b.replace(US, b"").replace(b"\x00", b"")),
)  # fmt: skip
# A body may hold anything, even RS/GS: only "RS + 40 hex + US" would look like a new commit.
bodies = st.text(max_size=80).map(lambda t: t.replace("\x00", ""))
counts = st.one_of(st.just("-"), st.integers(0, 10**6).map(str))
paths = st.text(string.printable.replace("\t", "").replace("\x0b", ""), min_size=1, max_size=20)
numstats = st.lists(
    st.one_of(
        st.tuples(counts, counts, paths).map(lambda t: f"{t[0]}\t{t[1]}\t{t[2]}\x00"),
        st.tuples(counts, counts, paths, paths).map(
            lambda t: f"{t[0]}\t{t[1]}\t\x00{t[2]}\x00{t[3]}\x00"
        ),
    ),
    max_size=4,
)


@st.composite
def commits(draw):
    sha = draw(shas)
    parents = draw(st.lists(shas, max_size=3))
    body = draw(bodies)
    if gitlog._RECORD_START.search(body.encode()):
        body = body.replace("\x1e", "")
    record = US.join(
        [
            sha.encode(),
            " ".join(parents).encode(),
            draw(field_bytes),
            draw(field_bytes),
            draw(dates),
            draw(field_bytes),
            draw(field_bytes),
            draw(dates),
            draw(st.sampled_from([b"", b"UTF-8", b"ISO-8859-1", b"\xff"])),
            body.encode(),
        ]
    )
    tail = "".join(draw(numstats))
    raw = RS + record + b"\x1d\x00" + (b"\n" + tail.encode() if tail else b"")
    return sha, parents, body, raw


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in points:
        out.append(data[last:p])
        last = p
    return [*out, data[last:]]


def facts(c: Commit) -> tuple:
    return (c.sha, c.parents, c.author_name, c.author_email, c.author_ts, c.commit_ts, c.body,
            [(f.path, f.added, f.removed) for f in c.files], sorted(c.flags))  # fmt: skip


def check_commit(c: Commit) -> None:
    assert len(c.sha) == 40 and set(c.sha) <= set(HEX)
    assert all(isinstance(p, str) for p in c.parents)
    assert gitlog.MIN_TS <= c.author_ts <= gitlog.MAX_TS
    assert gitlog.MIN_TS <= c.commit_ts <= gitlog.MAX_TS
    assert abs(c.author_offset) <= gitlog.MAX_OFFSET and abs(c.commit_offset) <= gitlog.MAX_OFFSET
    assert isinstance(c.body, str) and "\x00" not in c.body
    c.authored_at, c.committed_at, c.subject, c.coauthors(), c.reverts()  # noqa: B018
    for f in c.files:
        assert isinstance(f.path, str)
        assert f.added is None or f.added >= 0


@FUZZ
@given(st.lists(commits(), max_size=6), st.lists(st.integers(0, 10**6), max_size=5))
def test_well_formed_logs_parse_to_what_was_written(written, cuts):
    data = b"".join(raw for *_, raw in written)
    parsed = list(parse(chunked(data, cuts)))
    assert [c.sha for c in parsed] == [sha for sha, *_ in written]
    for c, (_, parents, body, _) in zip(parsed, written, strict=True):
        check_commit(c)
        assert c.parents == parents
        assert c.body == body
    assert [facts(c) for c in parse([data])] == [facts(c) for c in parsed]


def parsed_or_refused(chunks) -> None:
    """Either every parsed commit is clean, or the parser refuses with its typed error."""
    try:
        parsed = list(parse(chunks))
    except GitLogError:
        return
    for c in parsed:
        check_commit(c)


mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "insert", "truncate"]),
        st.integers(0, 10**6),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=5,
)


def mutate(data: bytes, steps) -> bytes:
    buf = bytearray(data)
    for kind, at, blob in steps:
        i = at % (len(buf) + 1)
        if kind == "flip" and buf:
            buf[i % len(buf)] ^= blob[0] or 1
        elif kind == "cut":
            del buf[i : i + len(blob)]
        elif kind == "insert":
            buf[i:i] = blob
        else:
            del buf[i:]
    return bytes(buf)


@FUZZ
@given(
    st.lists(commits(), min_size=1, max_size=4),
    mutations,
    st.lists(st.integers(0, 10**6), max_size=3),
)
def test_mutated_logs_are_parsed_or_refused_with_a_typed_error(written, steps, cuts):
    data = mutate(b"".join(raw for *_, raw in written), steps)
    parsed_or_refused(chunked(data, cuts))


@FUZZ
@given(st.binary(max_size=400), st.lists(st.integers(0, 10**6), max_size=3))
def test_arbitrary_bytes_are_parsed_or_refused_with_a_typed_error(data, cuts):
    parsed_or_refused(chunked(data, cuts))


@FUZZ
@given(st.text(HEX + "\x1e\x1f", max_size=200))
def test_near_records_are_parsed_or_refused_with_a_typed_error(text):
    """Inputs made of hex digits and separators, the parser's own alphabet."""
    parsed_or_refused([text.encode()])
