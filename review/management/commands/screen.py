"""`manage.py screen GIT_DIR --rev SHA`: the committee's checks on any local repository.

Researchers run it before asking for a release. It needs no database (only settings): no
waivers apply. Exit status: 0 when nothing blocks, 1 when a blocking finding remains, 2 when
the screening could not run (unreadable repository, unknown revision, invalid license).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from federation import git
from review import engine
from review.errors import InvalidInput
from review.models.screening import BLOCKING_SEVERITIES
from review.validation import license_validate

FIELDS = ("check", "rule", "severity", "path", "line", "commit", "fingerprint", "message")


class Command(BaseCommand):
    help = "Screen one commit of a local git repository with the disclosure review's checks."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("git_dir", help="A repository: a working tree or a bare git dir")
        parser.add_argument("--rev", required=True, help="The commit (sha, branch or tag)")
        parser.add_argument("--mode", choices=["full_history", "snapshot"], default="full_history")
        parser.add_argument(
            "--license",
            default="",
            help="Outbound SPDX license expression (default: read from the LICENSE file)",
        )
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        git_dir = self._git_dir(options["git_dir"])
        sha = self._resolve(git_dir, options["rev"])
        outbound = None
        if options["license"]:
            try:
                outbound = license_validate(options["license"])
            except InvalidInput as exc:
                raise CommandError(str(exc), returncode=2) from None
        try:
            result = engine.scan(git_dir, sha, mode=options["mode"], outbound_license=outbound)
        except engine.EngineError as exc:
            raise CommandError(f"screening failed: {exc.reason}", returncode=2) from None
        findings = [{k: getattr(f, k) for k in FIELDS} for f in result.findings]
        blocking = [f for f in findings if f["severity"] in BLOCKING_SEVERITIES]
        summary = {
            **result.summary,
            "sha": sha,
            "mode": options["mode"],
            "blocking": bool(blocking),
            "blocking_count": len(blocking),
            "rules": result.versions.get("rules", ""),
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps({"findings": findings, "summary": summary}, indent=2))
        else:
            self._text(findings, summary)
        if blocking:
            raise SystemExit(1)

    def _git_dir(self, raw: str) -> Path:
        path = Path(raw).expanduser().resolve()
        if (path / ".git").is_dir():
            path = path / ".git"
        if not (path / "HEAD").is_file():
            raise CommandError(f"{raw}: not a git repository", returncode=2)
        return path

    def _resolve(self, git_dir: Path, rev: str) -> str:
        out = git.run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
            repo=git_dir,
            check=False,
            timeout=30,
        )
        if out.returncode != 0:
            raise CommandError(f"{rev}: no such commit in {git_dir}", returncode=2)
        return out.text.strip()

    def _text(self, findings, summary):
        for f in findings:
            where = f["path"] or "(commit message)" if f["commit"] else f["path"] or "(tree)"
            if f["line"]:
                where += f":{f['line']}"
            commit = f" @{f['commit'][:10]}" if f["commit"] else ""
            flag = "BLOCKING " if f["severity"] in BLOCKING_SEVERITIES else ""
            self.stdout.write(
                f"{flag}{f['severity'].upper():8} {f['check']}/{f['rule']} {where}{commit}: "
                f"{f['message']}"
            )
        by = ", ".join(f"{n} {s}" for s, n in summary.get("by_severity", {}).items() if n)
        verdict = (
            f"{summary['blocking_count']} blocking finding(s) remain"
            if summary["blocking"]
            else "nothing blocks"
        )
        self.stdout.write(
            f"{summary['sha'][:12]} ({summary['mode']}): {summary.get('total', len(findings))} "
            f"finding(s){' (' + by + ')' if by else ''}; {verdict}."
        )
