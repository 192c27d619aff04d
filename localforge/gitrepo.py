"""Every git command localforge runs against its bare repositories.

Commands are argument lists (never a shell), revisions are fed on stdin or after
``--end-of-options`` so that no client value can become an option, and each call has a
timeout and a minimal environment.
"""

import os
import subprocess
import threading

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_SHA = "0" * 40

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

_FIELDS = ("sha", "tree", "parents", "author_name", "author_email", "author_date", "author_ts")
_FIELDS += ("committer_name", "committer_email", "committer_date", "committer_ts", "message")
_FORMAT = "%x1e%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%at%x1f%cn%x1f%ce%x1f%cI%x1f%ct%x1f%B%x1f"


class GitError(Exception):
    pass


class MergeConflict(GitError):
    pass


def repo_lock(path: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


def git_env(extra: dict | None = None) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    if extra:
        env.update(extra)
    return env


def run(repo, *args, input=None, env=None, check=True, timeout=300) -> subprocess.CompletedProcess:
    cmd = ["git"]
    if repo is not None:
        cmd += ["--git-dir", repo]
    cmd += ["-c", "core.quotePath=false", *args]
    proc = subprocess.run(
        cmd, input=input, capture_output=True, env=git_env(env), timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip())
    return proc


def out(repo, *args, **kwargs) -> str:
    return run(repo, *args, **kwargs).stdout.decode("utf-8", "replace")


# --- repositories -------------------------------------------------------------------


def init(path: str, branch: str):
    run(None, "init", "--bare", "-q", f"--initial-branch={branch}", path)


def clone_bare(src: str, dst: str):
    run(None, "clone", "--bare", "-q", "--", src, dst)


def fetch(dst: str, src: str, refspec: str):
    run(dst, "fetch", "-q", "--no-tags", "--no-write-fetch-head", src, refspec)


def set_head(repo: str, branch: str):
    run(repo, "symbolic-ref", "HEAD", f"refs/heads/{branch}")


def list_refs(repo: str, *prefixes: str) -> list[dict]:
    fmt = "%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)"
    text = out(repo, "for-each-ref", f"--format={fmt}", *(prefixes or ("refs/heads", "refs/tags")))
    refs = []
    for line in text.splitlines():
        name, sha, kind, peeled = line.split("\0")
        refs.append({"ref": name, "sha": sha, "type": kind, "commit": peeled or sha})
    return refs


def ref_sha(repo: str, ref: str) -> str | None:
    proc = run(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", ref, check=False)
    return (proc.stdout.decode().strip() or None) if proc.returncode == 0 else None


def resolve(repo: str, rev: str) -> str | None:
    """The commit a revision names, or None."""
    if not rev or rev.startswith("-"):
        return None
    return ref_sha(repo, f"{rev}^{{commit}}")


def object_type(repo: str, sha: str) -> str | None:
    proc = run(repo, "cat-file", "-t", sha, check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def is_empty(repo: str) -> bool:
    return not out(repo, "for-each-ref", "--count=1", "refs/heads")


def update_ref(repo: str, ref: str, new: str, old: str | None = None):
    args = ["update-ref", ref, new] + ([old] if old else [])
    run(repo, *args)


def delete_ref(repo: str, ref: str, old: str | None = None):
    args = ["update-ref", "-d", ref] + ([old] if old else [])
    run(repo, *args)


def is_ancestor(repo: str, ancestor: str, descendant: str) -> bool:
    args = ("merge-base", "--is-ancestor", ancestor, descendant)
    return run(repo, *args, check=False).returncode == 0


def merge_base(repo: str, a: str, b: str) -> str | None:
    proc = run(repo, "merge-base", a, b, check=False)
    return (proc.stdout.decode().strip() or None) if proc.returncode == 0 else None


# --- history ------------------------------------------------------------------------


def _log_args(since, until, first_parent, topo, all_refs):
    """``since``/``until`` are Unix timestamps. git reads "@<seconds>" only with 9 or more
    digits and below 2^32 (otherwise it silently means "now"), so clamp to 1973..2099."""
    args = []
    if since is not None:
        args.append(f"--since=@{min(max(int(since), 100000000), 4102444799)}")
    if until is not None:
        args.append(f"--until=@{min(max(int(until), 100000000), 4102444799)}")
    if first_parent:
        args.append("--first-parent")
    if topo:
        args.append("--topo-order")
    if all_refs:
        args += ["--branches", "--tags"]
    return args


def log(
    repo: str,
    revs: list[str],
    *,
    max_count: int | None = None,
    skip: int = 0,
    since: str | None = None,
    until: str | None = None,
    paths: list[str] | None = None,
    all_refs: bool = False,
    first_parent: bool = False,
    topo: bool = False,
    numstat: bool = False,
    name_status: bool = False,
    no_walk: bool = False,
) -> list[dict]:
    """Commits newest first, as dicts; with per-file stats or names when asked."""
    args = ["log", f"--format={_FORMAT}", "--stdin"]
    args += _log_args(since, until, first_parent, topo, all_refs)
    if max_count is not None:
        args.append(f"--max-count={max_count}")
    if skip:
        args.append(f"--skip={skip}")
    if no_walk:
        args.append("--no-walk=unsorted")
    if numstat:
        args += ["--numstat", "--diff-merges=first-parent"]
    elif name_status:
        args += ["--name-status", "--no-renames", "--diff-merges=first-parent"]
    args += ["--", *(paths or [])]
    stdin = ("\n".join(revs) + "\n").encode()
    proc = run(repo, *args, input=stdin, check=False)
    if proc.returncode != 0:
        return []
    commits = []
    for record in proc.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
        parts = record.split("\x1f")
        commit = dict(zip(_FIELDS, parts[: len(_FIELDS)], strict=True))
        commit["parents"] = commit["parents"].split()
        commit["author_ts"] = int(commit["author_ts"])
        commit["committer_ts"] = int(commit["committer_ts"])
        extra = parts[len(_FIELDS)] if len(parts) > len(_FIELDS) else ""
        if numstat:
            commit["additions"], commit["deletions"] = _sum_numstat(extra)
        if name_status:
            commit.update(_name_status(extra))
        commits.append(commit)
    return commits


def _sum_numstat(text: str) -> tuple[int, int]:
    adds = dels = 0
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3:
            adds += int(fields[0]) if fields[0].isdigit() else 0
            dels += int(fields[1]) if fields[1].isdigit() else 0
    return adds, dels


def _name_status(text: str) -> dict:
    added, modified, removed = [], [], []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        kind = fields[0][:1]
        target = added if kind == "A" else removed if kind == "D" else modified
        target.append(fields[-1])
    return {"added": added, "modified": modified, "removed": removed}


def count(repo: str, revs: list[str], **kwargs) -> int:
    args = ["rev-list", "--count", "--stdin"]
    args += _log_args(
        kwargs.get("since"),
        kwargs.get("until"),
        kwargs.get("first_parent"),
        False,
        kwargs.get("all_refs"),
    )
    args += ["--", *(kwargs.get("paths") or [])]
    proc = run(repo, *args, input=("\n".join(revs) + "\n").encode(), check=False)
    return int(proc.stdout.decode().strip() or 0) if proc.returncode == 0 else 0


def commit(repo: str, sha: str, numstat: bool = False) -> dict | None:
    found = log(repo, [sha], max_count=1, no_walk=True, numstat=numstat)
    return found[0] if found else None


# --- diffs --------------------------------------------------------------------------


def diff(repo: str, old: str | None, new: str, patch: bool = True, limit: int = 300) -> list:
    """File changes between two commits (old None = the empty tree)."""
    old = old or EMPTY_TREE
    base = ["diff-tree", "-r", "-M", "--no-commit-id"]
    raw = out(repo, *base, "--raw", "-z", "--no-abbrev", old, new).split("\0")
    entries = []
    i = 0
    while i < len(raw) - 1 and len(entries) < limit:
        meta = raw[i].lstrip(":").split()
        if len(meta) < 5:
            break
        status = meta[4][:1]
        if status in "RC":
            old_path, new_path = raw[i + 1], raw[i + 2]
            i += 3
        else:
            old_path = new_path = raw[i + 1]
            i += 2
        entries.append(
            {
                "a_mode": meta[0],
                "b_mode": meta[1],
                "old_sha": meta[2],
                "new_sha": meta[3],
                "status": status,
                "old_path": old_path,
                "new_path": new_path,
                "additions": 0,
                "deletions": 0,
                "binary": False,
                "patch": "",
            }
        )
    nums = out(repo, *base, "--numstat", "-z", old, new).split("\0")
    i = j = 0
    while i < len(nums) - 1 and j < len(entries):
        fields = nums[i].split("\t")
        i += 3 if fields[-1] == "" else 1
        entry = entries[j]
        j += 1
        if fields[0] == "-":
            entry["binary"] = True
        else:
            entry["additions"], entry["deletions"] = int(fields[0]), int(fields[1])
    if patch and entries:
        text = out(repo, *base, "-p", "--no-color", old, new)
        chunks = ("\n" + text).split("\ndiff --git ")[1:]
        for entry, chunk in zip(entries, chunks, strict=False):
            at = chunk.find("\n@@")
            entry["patch"] = chunk[at + 1 :] if at >= 0 else ""
    return entries


# --- writing ------------------------------------------------------------------------


def merge_tree(repo: str, ours: str, theirs: str) -> str:
    proc = run(repo, "merge-tree", "--write-tree", "--no-messages", ours, theirs, check=False)
    if proc.returncode == 1:
        raise MergeConflict("merge conflict")
    if b"unrelated histories" in proc.stderr:
        raise MergeConflict("unrelated histories")
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace"))
    return proc.stdout.decode().split("\n", 1)[0].strip()


def _identity_env(author: tuple[str, str], committer: tuple[str, str] | None = None) -> dict:
    committer = committer or author
    return {
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": committer[0],
        "GIT_COMMITTER_EMAIL": committer[1],
    }


def commit_tree(repo: str, tree: str, parents: list[str], message: str, author) -> str:
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    proc = run(repo, *args, input=message.encode("utf-8"), env=_identity_env(author))
    return proc.stdout.decode().strip()


def commit_files(repo: str, files: dict[str, bytes], message: str, author, parent=None) -> str:
    """A commit whose tree holds exactly ``files`` (flat names) on top of ``parent``."""
    lines = []
    for name, content in sorted(files.items()):
        blob = run(repo, "hash-object", "-w", "--stdin", input=content).stdout.decode().strip()
        lines.append(f"100644 blob {blob}\t{name}")
    tree = run(repo, "mktree", input=("\n".join(lines) + "\n").encode()).stdout.decode().strip()
    return commit_tree(repo, tree, [parent] if parent else [], message, author)


def create_tag(repo: str, name: str, sha: str, message: str | None, tagger) -> str:
    """Create refs/tags/<name>: annotated when there is a message. Returns the ref's object."""
    if message:
        run(
            repo,
            "tag",
            "-a",
            "-m",
            message,
            "--end-of-options",
            name,
            sha,
            env=_identity_env(tagger),
        )
    else:
        update_ref(repo, f"refs/tags/{name}", sha, ZERO_SHA)
    return ref_sha(repo, f"refs/tags/{name}")


def tag_message(repo: str, ref: str) -> str | None:
    if object_type(repo, ref) != "tag":
        return None
    text = out(repo, "cat-file", "tag", ref)
    return text.split("\n\n", 1)[1] if "\n\n" in text else ""


def ls_tree_names(repo: str, sha: str) -> list[str]:
    return out(repo, "ls-tree", "--name-only", sha).splitlines()
