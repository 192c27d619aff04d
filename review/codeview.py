"""The code around a finding, read from the bare mirror (a selector used by the disclosure page).

Never crashes on what a repository may hold: a missing path, a submodule, a symlink, a binary
or a huge blob, or bytes that are not UTF-8 come back as a note instead of lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from federation import git, repos

RADIUS = 3
MAX_BLOB_BYTES = 2 * 1024 * 1024
MAX_LINE_CHARS = 400
# Long runs of token characters: masked in excerpts of secrets findings, so the page never
# shows a credential in full (the engine's messages redact them the same way).
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{16,}")


def mask(text: str) -> str:
    return _TOKEN.sub(lambda m: m.group(0)[:4] + "…", text)


@dataclass
class CodeContext:
    lines: list[tuple[int, str, bool]] = field(default_factory=list)  # (number, text, is_hit)
    note: str = ""


def finding_context(
    project, sha: str, path: str, line: int | None, *, radius=RADIUS, redact: bool = False
) -> CodeContext:
    """Lines `line-radius .. line+radius` of `path` at commit `sha` of the project's mirror;
    `redact` masks long tokens (for secrets findings)."""
    if not path:
        return CodeContext(note="")
    mirror = repos.mirror_path(project.key)
    if not (mirror / "HEAD").is_file():
        return CodeContext(note="The repository copy is not available.")
    try:
        sha = git.validate_sha(sha)
    except git.InvalidSha:
        return CodeContext(note="No commit recorded for this finding.")
    try:
        listing = git.run(
            ["ls-tree", "-z", "-l", "--full-tree", sha, "--", path], repo=mirror, timeout=30
        ).stdout
    except git.GitError:
        return CodeContext(note="The file cannot be read at this commit.")
    entry = listing.split(b"\0", 1)[0]
    if not entry:
        return CodeContext(note="The file is not in this commit.")
    meta, _, _ = entry.partition(b"\t")
    mode, kind, oid, size = meta.decode("ascii", "replace").split(maxsplit=3)
    if kind == "commit":
        return CodeContext(note="A submodule; there is no code to show.")
    if kind != "blob":
        return CodeContext(note="A directory; there is no code to show.")
    if mode == "120000":
        target = git.run(["cat-file", "blob", oid], repo=mirror, timeout=30).stdout[:1000]
        return CodeContext(
            note=f"A symbolic link to {target.decode('utf-8', 'replace')!r}; not followed."
        )
    size = size.strip()
    if size.isdigit() and int(size) > MAX_BLOB_BYTES:
        return CodeContext(note=f"A large file ({int(size):,} bytes); not shown.")
    data = git.run(["cat-file", "blob", oid], repo=mirror, timeout=30).stdout
    if b"\0" in data[:8000]:
        return CodeContext(note="A binary file; not shown.")
    if not line:
        return CodeContext(note="")
    text = data.decode("utf-8", "replace")
    all_lines = text.splitlines()
    if line > len(all_lines):
        return CodeContext(note=f"The file has only {len(all_lines)} lines.")
    start, end = max(1, line - radius), min(len(all_lines), line + radius)
    out = []
    for n in range(start, end + 1):
        t = all_lines[n - 1]
        if redact:
            t = mask(t)
        if len(t) > MAX_LINE_CHARS:
            t = t[:MAX_LINE_CHARS] + " …"
        out.append((n, t, n == line))
    return CodeContext(lines=out)
