"""Deterministic synthetic git histories (and the matching org CSV) for the benchmarks.

    python -m bench.generate --out DIR --commits N --authors A --teams T --seed S [--projects P]

creates `DIR/repo.git` (bare; more projects: `DIR/repo-2.git`, `DIR/repo-3.git`, ...) and
`DIR/org.csv`, and prints a JSON summary. Same arguments -> byte-identical commits, so the same
HEAD sha. The history is streamed into one `git fast-import` process.

Commit accounting (exact): `git rev-list --count --all` == N for every project. N counts every
commit: main-line commits, feature-branch commits and the merge commits that bring them in.
Merged feature branches are deleted (reachable through main); up to three branches still open
at the end keep their `refs/heads/feature/...` ref. `git rev-list --count main` is therefore
<= N. The first commit is the scaffold, the second vendors `vendor/tinyjson/`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench._changes import BOTS, EXTERNAL, MAIN
from bench._content import edit_lines, subject
from bench._fastimport import FastImport, Ident, git, op_modify
from bench._history import HistoryBuilder
from bench._org import Person, build_people, build_teams, read_csv, write_csv

__all__ = ["GeneratedHistory", "GeneratedRepo", "append_commits", "generate", "load"]
MANIFEST = "generated.json"


@dataclass
class GeneratedRepo:
    name: str
    path: Path
    head_sha: str
    commits: int
    stats: dict[str, int]


@dataclass
class GeneratedHistory:
    repo_path: Path  # the first project's bare repository
    org_csv: Path
    head_sha: str  # refs/heads/main of the first project
    authors: list[Person]
    teams: list[str]  # team paths, "Division/Team"
    seed: int
    commits: int  # per project
    repos: list[GeneratedRepo] = field(default_factory=list)
    bot_emails: list[str] = field(default_factory=list)
    unknown_emails: list[str] = field(default_factory=list)  # planted, not in the CSV

    def summary(self) -> dict:
        return {
            "repo_path": str(self.repo_path),
            "org_csv": str(self.org_csv),
            "head_sha": self.head_sha,
            "seed": self.seed,
            "commits_per_project": self.commits,
            "authors": len(self.authors),
            "csv_rows": sum(len(p.memberships) for p in self.authors),
            "movers": sum(1 for p in self.authors if len(p.memberships) > 1),
            "teams": len(self.teams),
            "bot_emails": self.bot_emails,
            "unknown_emails": self.unknown_emails,
            "repos": [
                {**asdict(r), "path": str(r.path)} | {"stats": dict(sorted(r.stats.items()))}
                for r in self.repos
            ],
        }


def _project_name(seed: int, index: int) -> str:
    rng = random.Random(f"{seed}:name:{index}")
    first = rng.choice(("vision", "speech", "graph", "sim", "quant", "geo"))
    return f"{first}-{rng.choice(('kit', 'lab', 'core', 'flow', 'ops'))}-{index + 1}"


def generate(
    out_dir: str | Path, commits: int, authors: int, teams: int, seed: int, projects: int = 1
) -> GeneratedHistory:
    """Write the org CSV and `projects` bare repositories of `commits` commits each."""
    if commits < 1 or authors < 1 or teams < 1 or projects < 1:
        raise ValueError("commits, authors, teams and projects must be >= 1")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    org_rng = random.Random(f"{seed}:org")
    team_paths = build_teams(org_rng, teams)
    people = build_people(org_rng, authors, team_paths)
    org_csv = out / "org.csv"
    write_csv(org_csv, people)
    repos = []
    for i in range(projects):
        path = out / ("repo.git" if i == 0 else f"repo-{i + 1}.git")
        name = _project_name(seed, i)
        stats = _build_repo(path, people, commits, random.Random(f"{seed}:history:{i}"), name)
        head = git(path, "rev-parse", MAIN).decode().strip()
        repos.append(GeneratedRepo(name, path, head, commits, stats))
    history = _assemble(out, commits, seed, people, team_paths, repos)
    params = {"commits": commits, "authors": authors, "teams": teams, "seed": seed}
    listed = [
        {"name": r.name, "dir": r.path.name, "head_sha": r.head_sha, "stats": r.stats}
        for r in repos
    ]
    manifest = {"params": params | {"projects": projects}, "repos": listed}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))  # written last: "complete"
    return history


def load(out_dir: str | Path) -> GeneratedHistory | None:
    """The GeneratedHistory of a completed `generate()` into out_dir (None if incomplete).

    The org is rebuilt from the seed (cheap); the repositories are not touched."""
    out = Path(out_dir).resolve()
    try:
        manifest = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    p = manifest["params"]
    org_rng = random.Random(f"{p['seed']}:org")
    team_paths = build_teams(org_rng, p["teams"])
    people = build_people(org_rng, p["authors"], team_paths)
    repos = [
        GeneratedRepo(r["name"], out / r["dir"], r["head_sha"], p["commits"], r["stats"])
        for r in manifest["repos"]
    ]
    return _assemble(out, p["commits"], p["seed"], people, team_paths, repos)


def _assemble(out, commits, seed, people, team_paths, repos) -> GeneratedHistory:
    unknown = sorted({p.alias_email for p in people if p.alias_email} | {EXTERNAL.email})
    return GeneratedHistory(
        repo_path=repos[0].path,
        org_csv=out / "org.csv",
        head_sha=repos[0].head_sha,
        authors=people,
        teams=team_paths,
        seed=seed,
        commits=commits,
        repos=repos,
        bot_emails=[b.email for b in BOTS],
        unknown_emails=unknown,
    )


def _build_repo(path: Path, people: list[Person], n: int, rng: random.Random, name: str) -> dict:
    if path.exists():
        raise FileExistsError(f"{path} exists; generate into a fresh directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    git(path.parent, "init", "--quiet", "--bare", "-b", "main", str(path))
    fi = FastImport(path)
    try:
        stats = HistoryBuilder(fi, rng, people, n, name).build()
    finally:
        fi.close()
    git(path, "symbolic-ref", "HEAD", MAIN)
    return stats


def append_commits(repo_path: str | Path, k: int, seed: int) -> str:
    """Append k linear commits on `main` of a generated repo; returns the new head sha.

    Deterministic for a given (repo head, k, seed). Authors come from the `org.csv` next to
    the repository (people still employed at the end of the window), else from the history.
    Each commit edits one or two Python files; timestamps continue after the current head.
    """
    repo = Path(repo_path).resolve()
    head = git(repo, "rev-parse", MAIN).decode().strip()
    rng = random.Random(f"append:{seed}:{head}:{k}")
    last_ts = int(git(repo, "log", "-1", "--format=%ct", MAIN).decode())
    pool = _append_authors(repo)
    listing = git(repo, "ls-tree", "-r", "-z", "--full-tree", MAIN).split(b"\0")
    paths = sorted(
        e.split(b"\t", 1)[1].decode()
        for e in listing
        if e and e.split(b"\t", 1)[1].endswith(b".py") and b" blob " in e
    )
    if not paths:
        raise ValueError(f"{repo} has no Python files to edit")
    chosen = sorted(set(rng.sample(paths, min(len(paths), max(1, 2 * k)))))
    files = _cat_files(repo, MAIN, chosen)
    fi = FastImport(repo)
    try:
        for i in range(k):
            last_ts += rng.randrange(120, 4 * 3600)
            name, email = pool[rng.randrange(len(pool))]
            ident = Ident(name.encode(), email).line(last_ts, 540)
            ops = []
            for path in rng.sample(chosen, min(len(chosen), rng.choice((1, 1, 2)))):
                files[path] = edit_lines(rng, files[path])
                ops.append(op_modify(path, ("\n".join(files[path]) + "\n").encode()))
            msg = subject(rng).encode() + b"\n"
            fi.commit(MAIN, i + 1, ident, ident, msg, ops, parent=f"{MAIN}^0" if i == 0 else None)
    finally:
        fi.close()
    return git(repo, "rev-parse", MAIN).decode().strip()


def _append_authors(repo: Path) -> list[tuple[str, str]]:
    csv_path = repo.parent / "org.csv"
    if csv_path.exists():
        rows = [r for r in read_csv(csv_path) if not r["end"]]
        pool = sorted({(r["name"], r["email"]) for r in rows})
        if pool:
            return pool
    raw = git(repo, "log", "-300", "--no-merges", "--format=%an%x00%ae", MAIN).decode(
        errors="replace"
    )
    pool = sorted({tuple(line.split("\0", 1)) for line in raw.splitlines() if "\0" in line})
    return [p for p in pool if "[bot]" not in p[1] and "-bot" not in p[0]] or pool


def _cat_files(repo: Path, rev: str, paths: list[str]) -> dict[str, list[str]]:
    query = "".join(f"{rev}:{p}\n" for p in paths).encode()
    out = git(repo, "cat-file", "--batch", input=query)
    files, pos = {}, 0
    for path in paths:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        body = out[header_end + 1 : header_end + 1 + size]
        files[path] = body.decode("utf-8", errors="replace").splitlines()
        pos = header_end + 1 + size + 1
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--authors", type=int, default=50)
    parser.add_argument("--teams", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--projects", type=int, default=1)
    parser.add_argument(
        "--append", type=int, default=0, metavar="K", help="append K commits to DIR/repo.git"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.append:
        head = append_commits(args.out / "repo.git", args.append, args.seed)
        summary = {
            "repo_path": str(args.out / "repo.git"),
            "head_sha": head,
            "appended": args.append,
        }
    else:
        history = generate(
            args.out, args.commits, args.authors, args.teams, args.seed, args.projects
        )
        summary = history.summary()
    summary["elapsed_s"] = round(time.perf_counter() - started, 3)  # informative, never a figure
    json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
