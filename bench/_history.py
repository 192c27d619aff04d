"""Builds one project's history and streams it into `git fast-import`.

Every step emits exactly one commit (main commit, feature-branch commit or merge commit), so a
history built for N commits has exactly N commits reachable from its refs: merged feature
branches are reachable through their merge commit (their refs are deleted, as GitLab does),
branches still open at the end keep their `refs/heads/feature/...` ref.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import re
from collections import deque
from dataclasses import dataclass, field

from bench import _content as C
from bench._changes import MAIN, MainLineChanges
from bench._fastimport import FastImport, Ident, op_modify
from bench._org import WINDOW_END, WINDOW_START, Person

KST = dt.timezone(dt.timedelta(hours=9))
EPOCH0 = int(dt.datetime(WINDOW_START.year, 1, 1, tzinfo=KST).timestamp())
N_DAYS = (WINDOW_END - WINDOW_START).days + 1


UNMERGED_PREFIX = "refs/heads/feature/"


@dataclass
class Feature:
    ref: str
    title: str
    owner: Person
    fork: int
    tree: dict
    claimed: list[str]
    left: int
    mr: int
    tip: int = 0
    changed: dict = field(default_factory=dict)


def make_times(rng: random.Random, n: int) -> list[int]:
    """N strictly increasing instants over two years: weekdays, mostly KST working hours."""
    weights = [
        0.12 if (WINDOW_START + dt.timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(N_DAYS)
    ]
    days = rng.choices(range(N_DAYS), weights=weights, k=n)
    times = []
    for d in days:
        if rng.random() < 0.85:
            secs = rng.randrange(9 * 3600, 19 * 3600)
        else:
            secs = rng.randrange(19 * 3600, 26 * 3600)
        times.append(EPOCH0 + d * 86400 + secs)
    times.sort()
    for i in range(1, n):
        if times[i] <= times[i - 1]:
            times[i] = times[i - 1] + 1
    return times


class HistoryBuilder(MainLineChanges):
    def __init__(self, fi: FastImport, rng: random.Random, people: list[Person], n: int, name: str):
        self.fi, self.rng, self.people, self.n, self.name = fi, rng, people, n, name
        self.pkg = name.replace("-", "_")
        self.times = make_times(rng, n)
        self.cum = list(_accumulate(p.weight for p in people))
        self.tree: dict[str, list[str] | bytes] = {}
        self.editable: list[str] = []
        self.ever: set[str] = set()  # membership only: paths never reused
        self.claimed: set[str] = set()
        self.features: list[Feature] = []
        self.candidates: deque = deque(maxlen=200)  # revertable main commits
        self.mark = self.step = self.mr = self.main_tip = 0
        self.lock_pkgs = [(C.WORDS[i], f"1.{i % 7}.0") for i in range(0, 40, 3)]
        self.version = [0, 1, 0]
        self.vendor_version = 3
        self.stats: dict[str, int] = {}
        self.forced = self._schedule()
        self.legacy = [p for p in people if p.legacy_encoding]
        self.legacy_turn = 0
        self.dir_files: dict[str, int] = {}
        self.dirs = [f"src/{self.pkg}{d}" for d in ("", "/core", "/io", "/models")]

    # ---- scheduling ---------------------------------------------------------------------
    def _schedule(self) -> dict[str, list[int]]:
        lo, hi = min(3, self.n), self.n
        counts = {
            "feature": 2,
            "revert": 2 + self.n // 5000,
            "empty": 2,
            "rename": 2,
            "delete": 2,
            "renovate": 1,
            "release": 1,
            "vendor": 1,
            "unknown": 2,
            "coauthor": 3,
            "legacy": 3 + self.n // 10000,
        }
        forced = {}
        for kind, k in counts.items():
            window = range(lo, max(lo, int(hi * 0.85)))
            forced[kind] = sorted(self.rng.sample(window, min(k, len(window))))
        return forced

    def due(self, kind: str) -> bool:
        pending = self.forced.get(kind)
        return bool(pending) and pending[0] <= self.step

    def done(self, kind: str) -> None:
        if self.due(kind):
            self.forced[kind].pop(0)
        self.stats[kind] = self.stats.get(kind, 0) + 1

    # ---- people and commits -------------------------------------------------------------
    def day(self) -> dt.date:
        return WINDOW_START + dt.timedelta(days=(self.times[self.step] - EPOCH0) // 86400)

    def pick_person(self) -> Person:
        day = self.day()
        for _ in range(30):
            p = self.people[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]
            if p.active_on(day):
                return p
        return next((p for p in self.people if p.active_on(day)), self.people[0])

    def emit(self, ref: str, who, message: str, ops: list[bytes], **kw) -> int:
        """One commit by `who` at the current time slot. kw: parent, merge, legacy, email,
        coauthors. Committer = author; the author date is sometimes earlier (rebases)."""
        ts = self.times[self.step]
        self.step += 1
        self.mark += 1
        a_ts = ts if self.rng.random() < 0.7 else ts - self.rng.randrange(60, 3 * 86400)
        if kw.get("coauthors"):
            trailers = "".join(
                f"Co-authored-by: {p.git_name} <{p.email}>\n" for p in kw["coauthors"]
            )
            message = message.rstrip("\n") + "\n\n" + trailers
        codec, encoding = "utf-8", None
        if kw.get("legacy") and who.legacy_encoding:
            codec = "latin-1" if who.legacy_encoding.endswith("latin-1") else who.legacy_encoding
            encoding = None if who.legacy_encoding.startswith("raw") else who.legacy_encoding
            self.done("legacy")
        ident = Ident(who.git_name.encode(codec), kw.get("email") or who.email)
        line = ident.line(a_ts, who.offset_minutes)
        self.fi.commit(
            ref,
            self.mark,
            line,
            ident.line(ts, who.offset_minutes),
            message.encode(codec, errors="replace"),
            ops,
            parent=kw.get("parent"),
            merge=kw.get("merge"),
            encoding=encoding,
        )
        if ref == MAIN:
            self.main_tip = self.mark
        return self.mark

    def set_file(self, tree: dict, path: str, content) -> bytes:
        tree[path] = content
        self.ever.add(path)
        data = content if isinstance(content, bytes) else ("\n".join(content) + "\n").encode()
        return op_modify(path, data)

    def new_path(self, directory: str, stem: str, suffix: str) -> str:
        path = f"{directory}/{stem}{suffix}"
        i = 2
        while path in self.ever:
            path, i = f"{directory}/{stem}_{i}{suffix}", i + 1
        self.ever.add(path)
        self.dir_files[directory] = self.dir_files.get(directory, 0) + 1
        return path

    def pick_dir(self) -> str:
        """A source directory, mostly a recent one. New ones appear as the project grows and
        when a directory is full, so trees stay small (as do fast-import's tree rewrites)."""
        rng = self.rng
        d = self.dirs[-1 - min(int(rng.expovariate(0.15)), len(self.dirs) - 1)]
        if rng.random() < 0.05 or self.dir_files.get(d, 0) >= 20:
            parent = d if d.count("/") < 4 else rng.choice(self.dirs[:4])
            d = f"{parent}/{C.word(rng)}{len(self.dirs)}"
            self.dirs.append(d)
        return d

    def add_editable(self, path: str) -> None:
        self.editable.append(path)

    def drop_editable(self, path: str) -> None:
        i = self.editable.index(path)
        self.editable[i] = self.editable[-1]
        self.editable.pop()

    def pick_free(self, k: int) -> list[str]:
        out: list[str] = []
        for _ in range(k * 6):
            p = self.rng.choice(self.editable)
            if p not in self.claimed and p not in out:
                out.append(p)
                if len(out) == k:
                    break
        return out

    # ---- the steps ----------------------------------------------------------------------
    def build(self) -> dict[str, int]:
        self.scaffold()
        if self.n > 1:
            self.vendor(initial=True)
        while self.step < self.n:
            self.one_step()
        self.stats["open_feature_branches"] = len(self.features)
        return self.stats

    def one_step(self) -> None:
        r = self.rng.random()
        ready = [f for f in self.features if f.left == 0]
        busy = [f for f in self.features if f.left > 0]
        if ready and r < 0.3:
            return self.merge_feature(ready[0])
        if busy and r < 0.6:
            return self.feature_commit(self.rng.choice(busy))
        if len(self.features) < 3 and (self.due("feature") or r > 0.95):
            return self.start_feature()
        self.main_step()

    def main_step(self) -> None:
        for kind in ("revert", "empty", "rename", "delete", "renovate", "release", "vendor"):
            if self.due(kind) and getattr(self, kind)():
                return
        r = self.rng.random()
        ok = False
        if r < 0.025:
            ok = self.rename()
        elif r < 0.045:
            ok = self.delete()
        elif r < 0.06:
            ok = self.renovate()
        elif r < 0.064:
            ok = self.release()
        elif r < 0.0652:
            ok = self.vendor()
        elif r < 0.067:
            ok = self.revert()
        elif r < 0.07:
            ok = self.binary()
        elif r < 0.14:
            ok = self.add()
        if not ok:
            self.edit()

    # ---- feature branches ---------------------------------------------------------------
    def start_feature(self) -> None:
        owner = self.pick_person()
        claimed = self.pick_free(self.rng.randint(1, 3))
        self.mr += 1
        title = C.subject(self.rng)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower())[:40].strip("-") or "work"
        ref = f"{UNMERGED_PREFIX}{self.mr}-{slug}"
        self.claimed.update(claimed)
        left = self.rng.randint(1, 5)
        feat = Feature(ref, title, owner, self.main_tip, dict(self.tree), claimed, left, self.mr)
        self.features.append(feat)
        self.done("feature")
        self.feature_commit(feat)

    def feature_commit(self, feat: Feature) -> None:
        rng = self.rng
        if feat.claimed and rng.random() < 0.8:
            path = rng.choice(feat.claimed)
            op = self.set_file(feat.tree, path, C.edit_lines(rng, feat.tree[path]))
        else:
            stem = f"{C.word(rng)}_{C.word(rng)}"
            path = self.new_path(self.pick_dir(), stem, ".py")
            op = self.set_file(feat.tree, path, C.python_module(rng, stem))
        feat.changed[path] = feat.tree[path]
        first = feat.tip == 0
        msg = C.message(rng, feat.title if first else C.subject(rng))
        feat.tip = self.emit(feat.ref, feat.owner, msg, [op], parent=feat.fork if first else None)
        feat.left -= 1
        self.done("feature_commit")

    def merge_feature(self, feat: Feature) -> None:
        merger = feat.owner if self.rng.random() < 0.3 else self.pick_person()
        ops = []
        for path, content in feat.changed.items():
            if path not in self.tree:
                self.add_editable(path)
            ops.append(self.set_file(self.tree, path, content))
        branch = feat.ref.removeprefix("refs/heads/")
        msg = (
            f"Merge branch '{branch}' into 'main'\n\n{feat.title}\n\n"
            f"See merge request research/{self.name}!{feat.mr}\n"
        )
        self.emit(MAIN, merger, msg, ops, merge=feat.tip)
        self.fi.delete_ref(feat.ref)
        self.claimed.difference_update(feat.claimed)
        self.features.remove(feat)
        self.done("merge")


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total
