"""Release readiness: the community files GitHub looks for, and nothing a reviewer cannot read
(binaries, oversized blobs, submodules, symlinks pointing out of the repository)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from .base import HIGH, LOW, MEDIUM, Check, FindingData, TreeFile
from .config import path_matches

# name -> accepted stems (the file's name without extension, case-insensitive)
REQUIRED_FILES: dict[str, tuple[str, ...]] = {
    "README": ("readme",),
    "LICENSE": ("license", "licence", "copying"),
    "CONTRIBUTING": ("contributing",),
    "CODE_OF_CONDUCT": ("code_of_conduct", "code-of-conduct"),
    "SECURITY": ("security",),
}
DOC_EXTENSIONS = ("", ".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".org", ".html")
LOOKED_IN = ("", ".github/", "docs/")  # where GitHub looks for community health files

# Compiled code, archives and packages: not reviewable. Media files (images, fonts, PDFs) are
# binary but expected in a repository; they are only flagged when oversized.
BINARY_EXTENSIONS = frozenset(
    [
        ".exe",
        ".dll",
        ".so",
        ".dylib",
        ".a",
        ".lib",
        ".o",
        ".obj",
        ".ko",
        ".class",
        ".jar",
        ".war",
        ".ear",
        ".aar",
        ".pyc",
        ".pyo",
        ".pyd",
        ".whl",
        ".egg",
        ".zip",
        ".tar",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".zst",
        ".7z",
        ".rar",
        ".iso",
        ".img",
        ".dmg",
        ".msi",
        ".apk",
        ".ipa",
        ".deb",
        ".rpm",
        ".bin",
        ".dat",
        ".db",
        ".sqlite",
        ".sqlite3",
        ".mdb",
        ".pkl",
        ".pickle",
        ".npy",
        ".npz",
        ".h5",
        ".hdf5",
        ".pt",
        ".pth",
        ".onnx",
        ".ckpt",
        ".safetensors",
        ".tflite",
        ".wasm",
    ]
)
MEDIA_EXTENSIONS = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".ico",
        ".webp",
        ".tif",
        ".tiff",
        ".psd",
        ".pdf",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".mp3",
        ".mp4",
        ".wav",
        ".ogg",
        ".webm",
        ".mov",
        ".avi",
    ]
)


def _human(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


class ReadinessCheck(Check):
    name = "readiness"
    rules_version = "readiness-1"
    default_severity = MEDIUM
    severities = {
        "missing-file": MEDIUM,
        "large-file": HIGH,
        "binary-file": MEDIUM,
        "submodule": MEDIUM,
        "symlink-escapes": LOW,
    }

    def __init__(self, ctx):
        super().__init__(ctx)
        self.root_names: set[str] = set()
        self.allowed = tuple(ctx.config.allowed_binaries)
        self.limit = ctx.config.size_limit
        self.max_scan = ctx.config.max_scan_bytes

    def wants_content(self, f: TreeFile) -> bool:
        ext = posixpath.splitext(f.path)[1].lower()
        if ext in BINARY_EXTENSIONS or ext in MEDIA_EXTENSIONS:
            return f.size is None
        return not f.is_submodule and (f.size is None or f.size <= self.limit)

    def scan_file(self, f: TreeFile) -> Iterable[FindingData]:
        if f.in_tree:
            for prefix in LOOKED_IN:
                if f.path.startswith(prefix) and "/" not in f.path[len(prefix) :]:
                    self.root_names.add(prefix + f.path[len(prefix) :].lower())
        where = "" if f.in_tree else f" (only in history, introduced in {(f.commit or '')[:12]})"
        if f.is_submodule:
            if f.in_tree:
                yield self.finding(
                    "submodule",
                    f"submodule {f.path} (commit {f.oid[:12]}) is not screened and its URL in "
                    ".gitmodules must be reachable by the public",
                    path=f.path,
                )
            return
        if f.is_symlink:
            target = f.read().decode("utf-8", "replace")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), target))
            if target.startswith("/") or joined == ".." or joined.startswith("../"):
                yield self.finding(
                    "symlink-escapes",
                    f"symlink to {target!r} points outside the repository{where}",
                    path=f.path,
                    commit=f.commit,
                    match=target,
                )
            return
        if path_matches(f.path, self.allowed):
            return
        ext = posixpath.splitext(f.path)[1].lower()
        size = f.size if f.size is not None else len(f.read())
        if size > self.limit:
            binary = ext in BINARY_EXTENSIONS or ext in MEDIA_EXTENSIONS or f.is_binary
            kind = "binary file" if binary else "file"
            skipped = (
                f"; content past {_human(self.max_scan)} was not scanned"
                if (size > self.max_scan and not binary)
                else ""
            )
            yield self.finding(
                "large-file",
                f"{kind} of {_human(size)} (limit {_human(self.limit)}){skipped}{where}",
                path=f.path,
                commit=f.commit,
            )
            return
        if ext in MEDIA_EXTENSIONS:
            return
        if ext in BINARY_EXTENSIONS or f.is_binary:
            yield self.finding(
                "binary-file",
                f"binary file ({_human(size)}) cannot be reviewed as source{where}",
                path=f.path,
                commit=f.commit,
            )

    def finish(self) -> Iterable[FindingData]:
        for name, stems in REQUIRED_FILES.items():
            if name == "LICENSE" and "licenses" in self.peers:
                continue  # the licenses check reports a missing LICENSE (as a blocker)
            if not any(
                prefix + stem + ext in self.root_names
                for prefix in LOOKED_IN
                for stem in stems
                for ext in DOC_EXTENSIONS
            ):
                yield self.finding(
                    "missing-file",
                    f"no {name} file (looked for {name}, {name}.md... at the root, .github/ "
                    "and docs/)",
                    path=f"{name}.md" if name != "LICENSE" else "LICENSE",
                )
