"""The main-line commit kinds of a synthetic history (a mixin of `HistoryBuilder`).

Each method emits exactly one commit on `main` and returns True, or returns False without
emitting anything when it cannot apply (nothing left to rename, no clean revert, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench import _content as C
from bench._fastimport import op_delete, op_rename

MAIN = "refs/heads/main"
MIN_EDITABLE = 8


@dataclass
class Actor:
    git_name: str
    email: str
    offset_minutes: int = 0
    legacy_encoding: str = ""


BOTS = (
    Actor("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
    Actor("gitlab-bot", "gitlab-bot@noreply.gitlab.inst.example"),
)
EXTERNAL = Actor("Outside Contributor", "dev@partner-lab.example", 60)


class MainLineChanges:
    """Needs the state and helpers of `HistoryBuilder` (tree, editable, emit, ...)."""

    def scaffold(self) -> None:
        rng, t, ops = self.rng, self.tree, []
        ops.append(self.set_file(t, "README.md", C.markdown(rng, self.name)))
        ops.append(self.set_file(t, "LICENSE", ["Apache License", "Version 2.0, January 2004"]))
        ops.append(self.set_file(t, "VERSION", ["0.1.0"]))
        ops.append(self.set_file(t, "CHANGELOG.md", ["# Changelog", ""]))
        ops.append(self.set_file(t, ".gitlab-ci.yml", ["test:", "  script: [make test]"]))
        ops.append(self.set_file(t, "pyproject.toml", self.pyproject()))
        ops.append(self.set_file(t, "uv.lock", C.lockfile(rng, self.lock_pkgs)))
        ops.append(self.set_file(t, "docs/img/architecture.png", C.binary_blob(rng, 3000)))
        ops.append(self.set_file(t, f"src/{self.pkg}/__init__.py", ['__version__ = "0.1.0"']))
        for d in ("", "/core", "/io", "/models"):
            for _ in range(3):
                path = self.new_path(f"src/{self.pkg}{d}", f"{C.word(rng)}_{C.word(rng)}", ".py")
                ops.append(self.set_file(t, path, C.python_module(rng, path.rsplit("/")[-1])))
                self.add_editable(path)
        for _ in range(3):
            path = self.new_path("tests", f"test_{C.word(rng)}", ".py")
            ops.append(self.set_file(t, path, C.test_module(rng, C.word(rng))))
            self.add_editable(path)
        ops.append(self.set_file(t, "docs/index.md", C.markdown(rng, "Overview")))
        self.add_editable("docs/index.md")
        who = self.pick_person()
        self.emit(MAIN, who, "Initial commit\n", ops)

    def pyproject(self) -> list[str]:
        deps = [f'    "{p}>={v}",' for p, v in self.lock_pkgs]
        return ["[project]", f'name = "{self.name}"', "dependencies = [", *deps, "]"]

    def edit(self, who=None) -> bool:
        rng = self.rng
        who = who or self.pick_person()
        legacy = bool(who.legacy_encoding) and rng.random() < 0.4
        if self.due("legacy") and self.legacy:
            who, legacy = self.legacy[self.legacy_turn % len(self.legacy)], True
            self.legacy_turn += 1
            if not who.active_on(self.day()):
                who, legacy = self.pick_person(), False
        email = None
        if self.due("unknown") or rng.random() < 0.004:
            email = who.alias_email if who.alias_email and rng.random() < 0.7 else None
            who = who if email else EXTERNAL
            self.done("unknown")
        elif who.alias_email and rng.random() < 0.05:
            email = who.alias_email
        coauthors = []
        if self.due("coauthor") or rng.random() < 0.006:
            other = self.pick_person()
            if other is not who:
                coauthors = [other]
                self.done("coauthor")
        paths = self.pick_free(rng.choice((1, 1, 1, 2, 2, 3)))
        if not paths:
            return self.add()
        ops, change = [], {}
        for path in paths:
            old = self.tree[path]
            ops.append(self.set_file(self.tree, path, C.edit_lines(rng, old)))
            change[path] = (old, self.tree[path])
        subject = C.subject(rng)
        if legacy:
            latin = who.legacy_encoding.endswith("latin-1")
            subject = rng.choice(C.LATIN_SUBJECTS if latin else C.KOREAN_SUBJECTS)
        kw = {"legacy": legacy, "email": email, "coauthors": coauthors}
        self.emit(MAIN, who, C.message(rng, subject), ops, **kw)
        if not legacy:
            self.candidates.append((self.mark, subject, change))
        self.done("edit")
        return True

    def add(self) -> bool:
        rng, ops = self.rng, []
        stem = f"{C.word(rng)}_{C.word(rng)}"
        directory = self.pick_dir()
        path = self.new_path(directory, stem, ".py")
        ops.append(self.set_file(self.tree, path, C.python_module(rng, stem)))
        self.add_editable(path)
        if rng.random() < 0.5:
            tests_dir = "tests" + directory.removeprefix(f"src/{self.pkg}")
            test = self.new_path(tests_dir, f"test_{stem}", ".py")
            ops.append(self.set_file(self.tree, test, C.test_module(rng, stem)))
            self.add_editable(test)
        self.emit(MAIN, self.pick_person(), C.message(rng, f"Add {stem.replace('_', ' ')}"), ops)
        self.done("add")
        return True

    def rename(self) -> bool:
        rng = self.rng
        paths = [p for p in self.pick_free(1) if p.endswith(".py")]
        if not paths:
            return False
        old = paths[0]
        directory, base = old.rsplit("/", 1)
        if rng.random() < 0.5 and old.startswith("src/"):
            directory = self.pick_dir()
        else:
            base = f"{C.word(rng)}_{base}"
        new = self.new_path(directory, base[:-3], ".py")
        ops = [op_rename(old, new)]
        content = self.tree.pop(old)
        self.tree[new] = content
        if rng.random() < 0.5:
            ops.append(self.set_file(self.tree, new, C.edit_lines(rng, content)))
        self.drop_editable(old)
        self.add_editable(new)
        self.emit(MAIN, self.pick_person(), f"Move {base[:-3]} to {directory}\n", ops)
        self.done("rename")
        return True

    def delete(self) -> bool:
        if len(self.editable) <= MIN_EDITABLE:
            return False
        paths = self.pick_free(1)
        if not paths or paths[0] == "docs/index.md":
            return False
        path = paths[0]
        del self.tree[path]
        self.drop_editable(path)
        name = path.rsplit("/", 1)[-1]
        self.emit(MAIN, self.pick_person(), f"Remove unused {name}\n", [op_delete(path)])
        self.done("delete")
        return True

    def renovate(self) -> bool:
        i = self.rng.randrange(len(self.lock_pkgs))
        pkg, ver = self.lock_pkgs[i]
        major, minor, patch = (int(x) for x in ver.split("."))
        ver = (
            f"{major}.{minor}.{patch + 1}" if self.rng.random() < 0.7 else f"{major}.{minor + 1}.0"
        )
        self.lock_pkgs[i] = (pkg, ver)
        ops = [self.set_file(self.tree, "uv.lock", C.lockfile(self.rng, self.lock_pkgs))]
        ops.append(self.set_file(self.tree, "pyproject.toml", self.pyproject()))
        self.emit(MAIN, BOTS[0], f"chore(deps): update dependency {pkg} to v{ver}\n", ops)
        self.done("renovate")
        return True

    def release(self) -> bool:
        self.version[2] += 1
        if self.rng.random() < 0.3:
            self.version[1:] = [self.version[1] + 1, 0]
        v = ".".join(map(str, self.version))
        log = [
            "# Changelog",
            "",
            f"## {v}",
            "",
            f"- {C.subject(self.rng)}",
            *self.tree["CHANGELOG.md"][2:],
        ]
        ops = [self.set_file(self.tree, "CHANGELOG.md", log[:400])]
        ops.append(self.set_file(self.tree, "VERSION", [v]))
        self.emit(MAIN, BOTS[1], f"chore(release): v{v}\n\n[ci skip]\n", ops)
        self.done("release")
        return True

    def vendor(self, initial: bool = False) -> bool:
        rng = self.rng
        self.vendor_version += 0 if initial else 1
        version = f"1.{self.vendor_version}.0"
        names = ["tinyjson.h", "parse.c", "emit.c", "utf8.c", "alloc.c", "tables.c"]
        ops = [
            self.set_file(
                self.tree, f"vendor/tinyjson/{n}", C.c_source(rng, "tinyjson", n, version)
            )
            for n in names
        ]
        ops.append(self.set_file(self.tree, "vendor/tinyjson/VERSION", [version]))
        verb = "Vendor" if initial else "Update vendored"
        self.emit(MAIN, self.pick_person(), f"{verb} tinyjson {version}\n", ops)
        self.done("vendor")
        return True

    def binary(self) -> bool:
        ops = [self.set_file(self.tree, "docs/img/architecture.png", C.binary_blob(self.rng, 3000))]
        self.emit(MAIN, self.pick_person(), "Update architecture diagram\n", ops)
        self.done("binary")
        return True

    def empty(self) -> bool:
        msg = self.rng.choice(("Retrigger CI\n", "Empty commit to trigger the pipeline\n"))
        self.emit(MAIN, self.pick_person(), msg, [])
        self.done("empty")
        return True

    def revert(self) -> bool:
        for _ in range(min(8, len(self.candidates))):
            cand = self.candidates[self.rng.randrange(len(self.candidates))]
            mark, subject, change = cand
            if all(
                self.tree.get(p) is new and p not in self.claimed for p, (_, new) in change.items()
            ):
                break
        else:
            return False
        self.candidates.remove(cand)
        sha = self.fi.get_mark(mark)
        ops = [self.set_file(self.tree, p, old) for p, (old, _) in change.items()]
        msg = f'Revert "{subject}"\n\nThis reverts commit {sha}.\n'
        self.emit(MAIN, self.pick_person(), msg, ops)
        self.done("revert")
        return True
