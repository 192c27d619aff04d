"""Rule-level tests for secrets, leaks, readiness and patents, on in-memory files (no git)."""

from __future__ import annotations

import pytest

from review.checks import (
    LeakRules,
    LeaksCheck,
    PatentRecord,
    PatentsCheck,
    ReadinessCheck,
    ScreeningConfig,
    SecretsCheck,
    fingerprint,
)
from review.checks.config import glob_regex, path_matches
from review.checks.gitsource import CommitInfo

from .screening_helpers import GITLAB_TOKEN, RSA_KEY, ctx, memfile


def rules(check, f):
    return sorted((x.rule, x.line) for x in check.scan_file(f))


@pytest.fixture(scope="module")
def secrets():
    return SecretsCheck(ctx())


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (f"token: {GITLAB_TOKEN}\n", "gitlab-token"),
        ("GH = 'ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'\n", "github-token"),
        ("gho_" + "Z" * 36 + "\n", "github-token"),
        ("ghs_" + "9" * 36 + "\n", "github-token"),
        ("pat = github_pat_" + "11ABCDEFG0" * 4 + "\n", "github-token"),
        (RSA_KEY, "private-key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n", "private-key"),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n", "private-key"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n", "private-key"),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n", "private-key"),
        ("key_id = AKIAQ3EGRT5YB2XKZW7H\n", "aws-access-key"),
        ('aws_secret_access_key = "Jq8u2Zk5Pw0mXr3Vt7Yb1Nc4Hd6Gf9Ls2Ae5Ko8Q"\n', "aws-secret-key"),
        (
            "DATABASE_URL=postgres://app:S3cr3t-pw@db.example.org:5432/app\n",
            "connection-string-password",
        ),
        ("url = 'mysql://root:hunter2x@localhost/db'\n", "connection-string-password"),
        (
            "MONGO=mongodb+srv://svc:Pa55w0rd@cluster0.example.net/test\n",
            "connection-string-password",
        ),
        ("REDIS_URL=redis://:r3dis-pass@cache:6379/0\n", "connection-string-password"),
    ],
)
def test_own_secret_rules(secrets, content, rule):
    found = rules(secrets, memfile("config/settings.txt", content))
    assert [r for r, _ in found] == [rule], found


@pytest.mark.parametrize(
    "content",
    [
        "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n",
        "url = 'postgres://user:<password>@host/db'\n",
        "url = 'postgres://user@host/db'\n",
        "e.g. ``redis://:secret@localhost:6379/0``\n",
        "amqp://[USER:PASSWORD@]BROKER_ADDRESS[:PORT][/VIRTUALHOST]\n",
        "key = AKIAIOSFODNN7EXAMPLE  # the AWS documentation key\n",
        "token = glpat-short\n",
        "def get_password():\n    return os.environ['PASSWORD']\n",
        "password = get_secret('db')\n",
        "checksum = 'a3f5c9e1'  # short hex\n",
    ],
)
def test_secret_rules_do_not_fire_on_placeholders(secrets, content):
    assert rules(secrets, memfile("app/settings.py", content)) == []


def test_detect_secrets_plugins_run_in_process(secrets):
    content = (
        'SLACK = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"\npassword = "hunter22!"\n'
    )
    found = rules(secrets, memfile("app/config.py", content))
    assert ("ds/SlackDetector", 1) in found
    assert ("ds/KeywordDetector", 2) in found


def test_pragma_allowlist_silences_heuristics_but_not_our_rules(secrets):
    heuristic = 'password = "hunter22!"  # pragma: allowlist secret\n'
    assert rules(secrets, memfile("app/config.py", heuristic)) == []
    token = f"TOKEN = '{GITLAB_TOKEN}'  # pragma: allowlist secret\n"
    assert rules(secrets, memfile("app/config.py", token)) == [("gitlab-token", 1)]


def test_one_secret_one_finding(secrets):
    """Our rule and detect-secrets' GitLab / private-key plugins see the same value."""
    content = f'TOKEN = "{GITLAB_TOKEN}"\n' + RSA_KEY
    assert rules(secrets, memfile("app/config.py", content)) == [
        ("gitlab-token", 1),
        ("private-key", 2),
    ]


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        (".env", "dotenv-file"),
        ("deploy/.env.local", "dotenv-file"),
        ("prod.env", "dotenv-file"),
        ("home/.ssh/id_rsa", "credential-file"),
        ("certs/client.p12", "credential-file"),
        (".pgpass", "credential-file"),
    ],
)
def test_committed_credential_files(secrets, path, rule):
    assert rules(secrets, memfile(path, "X=1\n")) == [(rule, None)]


@pytest.mark.parametrize("path", [".env.example", ".env.sample", "docs/env.md", "id_rsa.pub"])
def test_env_templates_are_fine(secrets, path):
    assert rules(secrets, memfile(path, "X=\n")) == []


def test_history_only_secret_names_its_commit(secrets):
    f = memfile("old.yml", f"t: {GITLAB_TOKEN}\n", commit="c" * 40, in_tree=False)
    (finding,) = secrets.scan_file(f)
    assert finding.commit == "c" * 40
    assert "only in history" in finding.message and "cccccccccccc" in finding.message


def test_binary_and_symlink_content_is_not_scanned_for_secrets(secrets):
    assert rules(secrets, memfile("a.bin", b"\0" + GITLAB_TOKEN.encode())) == []
    link = memfile("link", GITLAB_TOKEN, mode="120000")
    assert rules(secrets, link) == []


# Leaks --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leaks():
    config = ScreeningConfig(leaks=LeakRules(codenames=("Nightjar",)))
    return LeaksCheck(ctx(config=config))


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        ("host = 'gitlab.internal.example.ac.kr'\n", "internal-host"),
        ("curl https://build.corp.example.com/job\n", "internal-host"),
        ("proxy: corp.example.ac.kr:3128\n", "internal-host"),
        ("db = '10.12.0.5'\n", "private-ip"),
        ("gw 172.20.1.1\n", "private-ip"),
        ("printer at 192.168.0.20\n", "private-ip"),
        ("contact: kim@corp.example.ac.kr\n", "internal-email"),
        ("owner EMP-123456\n", "staff-id"),
        ("Project NIGHTJAR phase 2\n", "codename"),
        ("문서 등급: 대외비\n", "confidential-term"),
        ("# 내부용 설정\n", "confidential-term"),
        ("INTERNAL USE ONLY\n", "confidential-term"),
    ],
)
def test_leak_rules(leaks, content, rule):
    assert [r for r, _ in rules(leaks, memfile("notes.txt", content))] == [rule]


@pytest.mark.parametrize(
    "content",
    [
        "self.corp.settings = corp.load()\n",
        "version = '10.2.3'\n",
        "addr = '8.8.8.8'\n",
        "ip = '172.32.0.1'  # outside 172.16/12\n",
        "bad = '999.10.10.10'\n",
        "v1.10.0.12.3\n",
        "kim@example.org\n",
        "EMP-12345 is too short\n",
        "nightjars are birds\n",
    ],
)
def test_leak_rules_do_not_fire_on_lookalikes(leaks, content):
    assert rules(leaks, memfile("notes.txt", content)) == []


def test_leaks_in_paths_and_commit_messages(leaks):
    found = list(leaks.scan_file(memfile("docs/대외비/plan.md", "nothing here\n")))
    assert [(f.rule, f.path, f.line) for f in found] == [
        ("confidential-term", "docs/대외비/plan.md", None)
    ]
    commit = CommitInfo("d" * 40, (), "Fix build\n\nDeployed on ci01.internal.example.ac.kr\n")
    (finding,) = leaks.scan_commit(commit)
    assert (finding.rule, finding.path, finding.line, finding.commit) == (
        "internal-host",
        None,
        3,
        "d" * 40,
    )


def test_leak_rules_are_configurable():
    config = ScreeningConfig.from_dict(
        {
            "leaks": {
                "host_globs": ["*.lab.example.net"],
                "private_networks": ["100.64.0.0/10"],
                "email_domains": [],
                "staff_id_patterns": [r"\bS\d{5}\b"],
                "terms": ["극비"],
            }
        }
    )
    check = LeaksCheck(ctx(config=config))
    content = "a.lab.example.net 100.64.1.2 10.0.0.1 S12345 극비 대외비 x@corp.example.ac.kr\n"
    assert [r for r, _ in rules(check, memfile("n.txt", content))] == [
        "confidential-term",
        "internal-host",
        "private-ip",
        "staff-id",
    ]


# Readiness ----------------------------------------------------------------------------------


def readiness_run(files, **config):
    check = ReadinessCheck(ctx(config=ScreeningConfig(**config)))
    check.peers = frozenset({"readiness", "licenses"})
    found = [x for f in files for x in check.scan_file(f)]
    found += list(check.finish())
    return sorted((x.rule, x.path) for x in found)


def test_readiness_accepts_common_names_and_places():
    files = [
        memfile("readme.rst", "x"),
        memfile(".github/CONTRIBUTING.md", "x"),
        memfile("docs/code_of_conduct.txt", "x"),
        memfile(".github/SECURITY", "x"),
    ]
    assert readiness_run(files) == []


def test_readiness_reports_each_missing_file():
    assert readiness_run([memfile("src/README.md", "not at the root")]) == [
        ("missing-file", "CODE_OF_CONDUCT.md"),
        ("missing-file", "CONTRIBUTING.md"),
        ("missing-file", "README.md"),
        ("missing-file", "SECURITY.md"),
    ]


def test_readiness_binaries_and_sizes():
    docs = [memfile(n, "x") for n in ("README", "CONTRIBUTING", "CODE_OF_CONDUCT", "SECURITY")]
    files = docs + [
        memfile("lib/native.so", b"\x7fELF\x00\x01"),
        memfile("data/blob", b"\x00\x01\x02"),
        memfile("docs/logo.png", b"\x89PNG\x00"),  # media: fine unless oversized
        memfile("data/huge.csv", "a,b\n" * 400),
        memfile("vendor/waived.jar", b"PK\x00"),
    ]
    assert readiness_run(files, size_limit=1000, allowed_binaries=("vendor/**",)) == [
        ("binary-file", "data/blob"),
        ("binary-file", "lib/native.so"),
        ("large-file", "data/huge.csv"),
    ]


# Patents ------------------------------------------------------------------------------------


def test_patent_linked_paths_and_keywords():
    records = (
        PatentRecord(
            "KR-10-2020-0001234",
            "Adaptive entropy coder",
            "general",
            paths=("src/codec/**",),
            keywords=("entropy coder",),
        ),
        PatentRecord("KR-2", "Pledged method", "oss", paths=("docs/method.md",)),
        PatentRecord("KR-3", "Unrelated", "standard", paths=("hw/**",)),
    )
    check = PatentsCheck(ctx(config=ScreeningConfig(patents=records)))
    files = [
        memfile("src/codec/encode.c", "int f;"),
        memfile("src/codec/sub/decode.c", "// the Entropy Coder core\n"),
        memfile("docs/method.md", "x"),
        memfile("src/other.c", "nothing"),
    ]
    for f in files:
        assert list(check.scan_file(f)) == []
    found = sorted((x.rule, x.severity, x.path, x.line) for x in check.finish())
    assert found == [
        ("patent-keyword", "medium", "src/codec/sub/decode.c", 1),
        ("patent-linked-path", "high", "src/codec/encode.c", None),
        ("patent-linked-path", "info", "docs/method.md", None),
    ]


def test_globs():
    assert glob_regex("src/codec/**").match("src/codec/a/b.c")
    assert not glob_regex("src/*.c").match("src/a/b.c")
    assert glob_regex("*.key").match("deep/dir/x.key")
    assert glob_regex("docs/").match("docs/a.md")
    assert path_matches("a/b.bin", ("*.txt", "a/*.bin")) == "a/*.bin"


def test_fingerprint_ignores_whitespace_but_not_content():
    assert fingerprint("s", "r", "p", "a  b\n") == fingerprint("s", "r", "p", "a b")
    assert fingerprint("s", "r", "p", "a b") != fingerprint("s", "r", "q", "a b")
    assert fingerprint("s", "r", "p", "a b") != fingerprint("s", "r", "p", "a c")


def test_secrets_in_commit_messages(secrets):
    commit = CommitInfo("f" * 40, (), f"Rotate deploy token\n\nold one was {GITLAB_TOKEN}\n")
    (finding,) = secrets.scan_commit(commit)
    assert (finding.rule, finding.path, finding.line, finding.commit) == (
        "gitlab-token",
        None,
        3,
        "f" * 40,
    )
    assert GITLAB_TOKEN not in finding.message


@pytest.mark.parametrize(
    "url",
    [
        "sqla+mysql://root:masterkey@localhost/",
        "postgresql+psycopg2://scott:tiger@localhost/db",
        "jdbc:postgresql://svc:Pw0rd99@db:5432/app",
    ],
)
def test_connection_strings_with_drivers(secrets, url):
    assert rules(secrets, memfile("docs/db.md", f"use {url}\n")) == [
        ("connection-string-password", 1)
    ]


def test_other_schemes_are_left_to_detect_secrets(secrets):
    found = rules(secrets, memfile("a.md", "see https://user:pa55w0rd@example.org/x\n"))
    assert found == [("ds/BasicAuthDetector", 1)]


def _rand(chars: str, n: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    return "".join(rng.choice(chars) for _ in range(n))


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HEX = "0123456789abcdef"


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        (f"//registry.npmjs.org/:_authToken=npm_{_rand(ALNUM, 36, 1)}", "ds/NpmDetector"),
        (f'ibm_cloud_iam_key = "{_rand(ALNUM, 44, 2)}"', "ds/IbmCloudIamDetector"),
        (f'cloudant_password = "{_rand(HEX, 64, 3)}"', "ds/CloudantDetector"),
        (f'ibm_cos_hmac_secret_access_key = "{_rand(HEX, 48, 4)}"', "ds/IbmCosHmacDetector"),
        (f'softlayer_api_key = "{_rand(HEX + "ghijk", 64, 5)}"', "ds/SoftlayerDetector"),
        (f"artifactory = AKC{_rand(ALNUM, 60, 6)}", "ds/ArtifactoryDetector"),
        (f'mc = "{_rand(HEX, 32, 7)}-us12"', "ds/MailchimpDetector"),
        (f'stripe = "sk_live_{_rand(ALNUM, 24, 8)}"', "ds/StripeDetector"),
        (f'aws_pw = "{_rand(ALNUM, 40, 9)}"', "ds/AWSKeyDetector"),  # ours needs key/secret...
        (f"hook = https://hooks.slack.com/services/T{_rand(ALNUM, 8, 10)}/B{_rand(ALNUM, 8, 11)}/{_rand(ALNUM, 24, 12)}", "ds/SlackDetector"),
        (f'blob = "{_rand(ALNUM + "+/", 40, 13)}"', "ds/Base64HighEntropyString"),
        (f'digest = "{_rand(HEX, 40, 14)}"', "ds/HexHighEntropyString"),
    ],
)  # fmt: skip
def test_gated_detect_secrets_plugins_still_fire(secrets, line, rule):
    """The necessary-condition gates in ds_plugins.py must not hide what the plugin finds."""
    found = [r for r, _ in rules(secrets, memfile("app/settings.py", line + "\n"))]
    assert rule in found, found
