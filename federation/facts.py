"""Facts the catalogue shows, read from the bare mirror at the default branch's tip."""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from federation import git

README_NAMES = {"readme", "readme.md", "readme.rst", "readme.txt"}
CONTRIBUTING_NAMES = {"contributing", "contributing.md", "contributing.rst", "contributing.txt"}
CONTRIBUTING_DIRS = ("", ".github/", "docs/", ".gitlab/")
LANGUAGES = {
    ".py": "Python", ".ipynb": "Python", ".go": "Go", ".rs": "Rust", ".java": "Java",
    ".kt": "Kotlin", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++",
    ".js": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript", ".rb": "Ruby",
    ".php": "PHP", ".cs": "C#", ".swift": "Swift", ".scala": "Scala", ".r": "R",
    ".jl": "Julia", ".m": "MATLAB", ".sh": "Shell", ".cu": "CUDA",
}  # fmt: skip
MAX_TEXT = 100_000


@dataclass(frozen=True)
class RepoFacts:
    has_readme: bool
    has_contributing: bool
    contributing_text: str
    language: str


def read_facts(repo: Path, rev: str) -> RepoFacts:
    listing = git.run(
        ["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev], repo=repo
    ).stdout
    paths: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.split(b" ")
        if kind == b"blob":
            paths[path.decode("utf-8", "replace")] = sha.decode()
    lower = {p.lower(): p for p in paths}
    has_readme = any(name in lower for name in README_NAMES)
    contributing = next(
        (
            lower[d + n]
            for d in CONTRIBUTING_DIRS
            for n in sorted(CONTRIBUTING_NAMES)
            if d + n in lower
        ),
        None,
    )
    text = ""
    if contributing:
        blob = git.run(["cat-file", "blob", paths[contributing]], repo=repo).stdout[:MAX_TEXT]
        text = blob.decode("utf-8", "replace")
    counts = Counter(
        LANGUAGES[ext]
        for p in paths
        if not p.startswith(("vendor/", "node_modules/", "third_party/"))
        and (ext := PurePosixPath(p).suffix.lower()) in LANGUAGES
    )
    language = counts.most_common(1)[0][0] if counts else ""
    return RepoFacts(has_readme, contributing is not None, text, language)
