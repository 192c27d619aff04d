"""Incremental and idempotent ingest, odd commits, and the streaming log parser."""

import datetime as dt

import pytest

from federation import git
from incentives import building, gitlog
from incentives.ingest import IngestError, ingest
from incentives.models import Award, Change, ChangeCoauthor, IngestState
from people.models import Identity
from tests.incentives.conftest import ALICE, BOB, CAROL, DAVE, RENOVATE
from tests.incentives.gitrepo import lines

pytestmark = pytest.mark.django_db
SEEN = dt.datetime(2025, 3, 20, 1, 0, tzinfo=dt.UTC)


def test_incremental_ingest_reads_only_the_new_commits(org, repo):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    first = ingest(project=org.project, repo=repo.path)
    assert first.commits_read == 2
    tip = repo.head()
    assert IngestState.objects.get(project=org.project).tip == tip

    new1 = repo.commit({"b.py": lines(9, "b")}, author=CAROL, date="2025-03-04T10:00:00+09:00")
    new2 = repo.commit({"c.py": lines(9, "c")}, author=ALICE, date="2025-03-05T10:00:00+09:00")
    second = ingest(project=org.project, repo=repo.path, seen_at=SEEN)

    assert (second.previous_tip, second.commits_read, second.changes_created) == (tip, 2, 2)
    pushed = Change.objects.get(sha=new1)
    assert (pushed.landing, pushed.landed_at) == (Change.Landing.SEEN, SEEN)
    assert Change.objects.get(sha=new2).landed_on == dt.date(2025, 3, 20)  # 10:00 in Seoul


def test_ingesting_the_same_range_twice_changes_nothing(org, repo):
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    repo.commit({"b.py": lines(9, "b")}, author=CAROL, date="2025-03-04T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    before = (
        list(Change.objects.order_by("id").values_list("id", "sha", "landed_at", "status")),
        list(Award.objects.order_by("id").values_list("id", "points")),
        Identity.objects.count(),
    )

    again = ingest(project=org.project, repo=repo.path)
    assert again.commits_read == 0
    full = ingest(project=org.project, repo=repo.path, full=True)
    assert (full.commits_read, full.already_known, full.changes_created) == (3, 3, 0)

    after = (
        list(Change.objects.order_by("id").values_list("id", "sha", "landed_at", "status")),
        list(Award.objects.order_by("id").values_list("id", "points")),
        Identity.objects.count(),
    )
    assert after == before


def test_rewritten_history_is_read_from_the_new_tip(org, repo):
    base = repo.head()
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    repo.git("reset", "-q", "--hard", base)
    new = repo.commit(
        {"a.py": lines(9)},
        author=BOB,
        date="2025-03-03T12:00:00+09:00",
        message="same patch, rebased",
    )

    report = ingest(project=org.project, repo=repo.path, seen_at=SEEN)

    assert report.commits_read == 1
    assert Change.objects.get(sha=new).status == Change.Status.DUPLICATE
    assert Award.objects.count() == 1


def test_unknown_authors_become_unresolved_identities(org, repo):
    repo.commit(
        {"a.py": lines(9)},
        author=("Zed Outside", "Zed@Partner.example"),
        date="2025-03-03T10:00:00+09:00",
    )
    report = ingest(project=org.project, repo=repo.path)
    ident = Identity.objects.get(value="zed@partner.example")
    assert (ident.person, ident.display_name, ident.is_bot) == (None, "Zed Outside", False)
    assert report.identities_created == 1
    assert not Award.objects.exists()


def _raw(
    repo, author: bytes, committer: bytes | None = None, body: bytes = b"odd\n", extra: bytes = b""
) -> str:
    committer = committer or author
    content = (
        b"tree " + repo.tree().encode() + b"\nparent " + repo.head().encode() + b"\n"
        b"author " + author + b"\ncommitter " + committer + b"\n" + extra + b"\n" + body
    )
    return repo.raw_commit(content)


def test_odd_commits_ingest_and_are_flagged(org, repo):
    empty = repo.commit({}, author=BOB, date="2025-03-03T10:00:00+09:00", allow_empty=True)
    latin_raw = _raw(repo, b"J\xf6rg Raw <jorg@x.example> 1741000000 +0900")
    latin_declared = _raw(
        repo, b"J\xf6rg Declared <jorg2@x.example> 1741000000 +0900", extra=b"encoding ISO-8859-1\n"
    )
    no_email = _raw(repo, b"Nobody <> 1741000000 +0900")
    future = _raw(repo, b"Time Traveller <tt@x.example> 4102444800 +0900")
    past = _raw(repo, b"Old Timer <old@x.example> 0 +0000")
    odd_tz = _raw(repo, b"Zone <zone@x.example> 1741000000 +9900")
    separators = _raw(
        repo,
        b"Sep <sep@x.example> 1741000000 +0900",
        body=b"has \x1e and \x1f and \x1d inside\n\nThis is fine\n",
    )
    repo.commit({"z.py": lines(3)}, author=BOB, date="2025-03-04T10:00:00+09:00")

    report = ingest(project=org.project, repo=repo.path, seen_at=SEEN)

    assert report.commits_read == 10
    got = {c.sha: c for c in Change.objects.all()}
    assert got[empty].status == Change.Status.EMPTY and "empty" in got[empty].flags
    assert "bad_encoding" in got[latin_raw].flags
    assert got[latin_raw].author_name == "J\ufffdrg Raw"
    assert got[latin_declared].author_name == "Jörg Declared"
    assert "legacy_encoding" in got[latin_declared].flags
    assert got[no_email].status == Change.Status.NO_AUTHOR
    assert "no_author_email" in got[no_email].flags
    assert "author_date_far_future" in got[future].flags
    assert got[future].landed_at == SEEN  # an implausible committer date is not a landing time
    assert "committer_date_far_past" in got[past].flags
    assert got[past].authored_at.year == 1970
    assert "odd_author_offset" in got[odd_tz].flags and got[odd_tz].author_utc_offset == 0
    assert got[separators].subject == "has \x1e and \x1f and \x1d inside"


def test_non_bare_clone_and_missing_branch(org, repo, tmp_path):
    assert ingest(project=org.project, repo=repo.path).commits_read == 1  # work tree's .git
    org.project.default_branch = "trunk"
    with pytest.raises(IngestError, match="no branch 'trunk'"):
        ingest(project=org.project, repo=repo.path)
    with pytest.raises(IngestError, match="no git repository"):
        ingest(project=org.project, repo=tmp_path / "nowhere")


def test_parser_handles_any_chunking_renames_and_binaries(repo):
    repo.commit({"a.txt": lines(5)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    (repo.path / "dir with space").mkdir()
    repo.git("mv", "a.txt", "dir with space/b.txt")
    repo.commit({}, author=BOB, date="2025-03-04T10:00:00+09:00", message="rename")
    (repo.path / "img.bin").write_bytes(bytes(range(256)))
    repo.git("add", "img.bin")
    repo.commit({}, author=BOB, date="2025-03-05T10:00:00+09:00", message="binary")
    gitdir = repo.path / ".git"
    raw = git.run(gitlog.log_args(repo.head()), repo=gitdir).stdout

    whole = list(gitlog.parse([raw]))
    for size in (1, 7, 64):
        chunks = [raw[i : i + size] for i in range(0, len(raw), size)]
        assert [(c.sha, c.files) for c in gitlog.parse(chunks)] == [(c.sha, c.files) for c in whole]
    binary, rename = whole[0], whole[1]
    assert [(f.path, f.added, f.removed) for f in binary.files] == [("img.bin", None, None)]
    assert [(f.path, f.added, f.removed) for f in rename.files] == [("dir with space/b.txt", 0, 0)]


def test_gitattributes_are_read_again_only_when_a_push_changes_them(org, repo):
    ingest(project=org.project, repo=repo.path)
    first_tip = repo.head()
    assert IngestState.objects.get(project=org.project).attributes == {
        "tip": first_tip,
        "files": {},
    }

    repo.commit({".gitattributes": "gen/** linguist-generated\n"}, author=ALICE,
                date="2025-03-02T10:00:00+09:00")  # fmt: skip
    sha = repo.commit({"gen/x.py": lines(50), "src/y.py": lines(9)}, author=BOB,
                      date="2025-03-03T10:00:00+09:00")  # fmt: skip
    ingest(project=org.project, repo=repo.path, seen_at=SEEN)
    change = Change.objects.get(sha=sha)
    assert (change.lines_added, change.vendored_lines) == (9, 50)
    state = IngestState.objects.get(project=org.project)
    assert state.attributes["files"] == {".gitattributes": "gen/** linguist-generated\n"}
    read_at = state.attributes["tip"]

    later = repo.commit(
        {"gen/z.py": lines(30, "z")}, author=CAROL, date="2025-03-04T10:00:00+09:00"
    )
    ingest(project=org.project, repo=repo.path, seen_at=SEEN)
    assert IngestState.objects.get(project=org.project).attributes["tip"] == read_at  # reused
    assert Change.objects.get(sha=later).status == Change.Status.EMPTY  # only generated lines


def _stored(project) -> dict:
    """What an ingest wrote, by sha and email rather than by id (ids differ between runs)."""
    changes = Change.objects.filter(project=project)
    return {
        "landing order": list(
            changes.order_by("landed_at", "authored_at", "sha").values_list("sha", flat=True)
        ),
        "changes": sorted(
            changes.values_list(
                "sha",
                "author_identity__value",
                "committer_identity__value",
                "landed_at",
                "landing",
                "merge_sha",
                "merge_author_identity__value",
                "lines_added",
                "lines_removed",
                "patch_id",
                "status",
                "duplicate_of__sha",
                "reverted_by__sha",
                "flags",
            )
        ),  # fmt: skip
        "coauthors": sorted(ChangeCoauthor.objects.values_list("change__sha", "identity__value")),
        "awards": sorted(
            Award.objects.values_list("change__sha", "person_id", "kind", "points", "facts")
        ),
        "identities": sorted(
            Identity.objects.values_list("value", "display_name", "is_bot", "person_id")
        ),
    }


def test_ingest_in_batches_of_one_commit_stores_what_one_batch_does(org, repo, monkeypatch):
    outsider = "xavier@partner.example"
    repo.commit({"a.py": lines(9)}, author=("Xavier Author", outsider),
                date="2025-03-03T10:00:00+09:00")  # fmt: skip
    repo.checkout("feature", new=True)
    picked = repo.commit({"b.py": lines(7, "b")}, author=CAROL, date="2025-03-04T10:00:00+09:00")
    ported = repo.commit({"c.py": lines(5, "c")}, author=BOB,
                committer=("Xavier Committer", outsider), date="2025-03-05T10:00:00+09:00",
                message="Port\n\nCo-authored-by: Yan New <yan@partner.example>\n")  # fmt: skip
    repo.checkout("main")
    repo.cherry_pick(picked, committer=BOB, date="2025-03-06T10:00:00+09:00")
    repo.merge("feature", by=DAVE, date="2025-03-07T10:00:00+09:00")
    bot = repo.commit({"uv.lock": lines(3, "lock"), "d.py": lines(2, "d")}, author=RENOVATE,
                      date="2025-03-08T10:00:00+09:00")  # fmt: skip
    repo.revert(bot, author=BOB, date="2025-03-09T10:00:00+09:00")

    def run(batch: int) -> dict:
        monkeypatch.setattr(building, "BATCH", batch)
        report = ingest(project=org.project, repo=repo.path, seen_at=SEEN)
        assert (report.commits_read, report.merges, report.identities_created) == (8, 1, 3)
        again = ingest(project=org.project, repo=repo.path, seen_at=SEEN, full=True)
        assert (again.already_known, again.changes_created) == (7, 0)
        return _stored(org.project)

    whole = run(10_000)
    Award.objects.all().delete()
    ChangeCoauthor.objects.all().delete()
    Change.objects.all().delete()
    IngestState.objects.all().delete()
    Identity.objects.filter(person=None).delete()
    one_by_one = run(1)

    assert one_by_one == whole
    main = [repo.head(f"main~{n}") for n in range(6)]  # the revert back to the first commit
    assert whole["landing order"] == [main[5], main[4], main[3], picked, ported, bot, main[0]]
    # named by the first git name met with the email in log order (newest first): met as a
    # committer only (looked up, not created), then created as an author in a later batch
    assert (outsider, "Xavier Committer", False, None) in whole["identities"]
    assert whole["coauthors"] == [(ported, "yan@partner.example")]
    by_sha = {row[0]: row for row in whole["changes"]}
    assert by_sha[picked][10:12] == (Change.Status.DUPLICATE, repo.head("main~3"))
    assert [by_sha[sha][10] for sha in whole["landing order"]].count("eligible") == 4


def test_the_cycle_collector_is_off_while_ingesting_and_back_on_after(org, repo):
    import gc

    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    during = []
    report = ingest(
        project=org.project, repo=repo.path, progress=lambda n: during.append(gc.isenabled())
    )
    assert report.commits_read == 2
    assert during == [False]
    assert gc.isenabled()
    org.project.default_branch = "trunk"
    with pytest.raises(IngestError, match="no branch"):  # raised inside the paused block
        ingest(project=org.project, repo=repo.path)
    assert gc.isenabled()
    org.project.default_branch = "main"
    gc.disable()  # a caller that had it off keeps it off
    try:
        ingest(project=org.project, repo=repo.path, full=True)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_deleting_a_project_takes_its_changes_and_their_awards(org, repo):
    # Award.project has no constraint of its own (the change's guards it): the ORM still cascades
    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    project_id = org.project.id
    assert Award.objects.filter(project_id=project_id).count() == 1
    org.project.delete()
    assert not Change.objects.filter(project_id=project_id).exists()
    assert not Award.objects.filter(project_id=project_id).exists()


def test_a_first_read_stores_changes_while_the_log_streams(org, repo, monkeypatch):
    for n in range(3):
        repo.commit({f"f{n}.py": lines(3, str(n))}, author=BOB, date=f"2025-03-0{n + 3}T10:00:00+09:00")  # fmt: skip
    # the same patch twice
    repo.commit({"f0.py": None}, author=BOB, date="2025-03-07T10:00:00+09:00")
    again = repo.commit({"f0.py": lines(3, "0")}, author=BOB, date="2025-03-08T10:00:00+09:00")
    monkeypatch.setattr(building, "BATCH", 1)
    seen = []
    ingest(
        project=org.project, repo=repo.path, progress=lambda n: seen.append(Change.objects.count())
    )
    # newest first, a row per batch; the re-added file is stored before its first version
    # shows the same numstat; that one is sent for a patch id and waits for the end (the
    # root commit's row comes next); the duplicate is then written over the stored row
    assert seen == [1, 2, 3, 4, 4, 5]
    assert Change.objects.count() == 6
    assert Change.objects.get(sha=again).status == Change.Status.DUPLICATE

    repo.commit({"g.py": lines(3, "g")}, author=BOB, date="2025-03-09T10:00:00+09:00")
    repo.commit({"h.py": lines(3, "h")}, author=BOB, date="2025-03-10T10:00:00+09:00")
    seen.clear()
    ingest(project=org.project, repo=repo.path, seen_at=SEEN,
           progress=lambda n: seen.append(Change.objects.count()))  # fmt: skip
    assert seen == [6, 6]  # a push: stored at the end (a .gitattributes change may recount)
    assert Change.objects.count() == 8


def test_change_keys_are_checked_statement_by_statement_while_reading(org, postgres):
    from django.db import IntegrityError, connection, transaction

    from incentives.bulk import checked_per_statement

    def insert_orphan():
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO incentives_change (project_id, sha, source, subject, author_name,"
                " authored_at, author_utc_offset, committed_at, landed_at, landed_on, landing,"
                " merge_sha, lines_added, lines_removed, vendored_lines, files_changed, patch_id,"
                " numstat_sig, status, reverts_sha, flags, ingested_at, author_identity_id)"
                " VALUES (%s, %s, 'gitlab', '', '', now(), 0, now(), now(), '2025-03-03',"
                " 'history', '', 1, 0, 0, 1, '', '', 'eligible', '', '[]', now(), 999999)",
                [org.project.id, "f" * 40],
            )

    outer = transaction.atomic()
    with outer, checked_per_statement(Change), pytest.raises(IntegrityError), transaction.atomic():
        insert_orphan()  # fails at the statement, not at commit
    with transaction.atomic():  # outside the block: deferred to commit, as Django declares them
        insert_orphan()
        assert Change.objects.filter(sha="f" * 40).exists()
        transaction.set_rollback(True)


def test_the_ledger_holds_one_award_per_change_and_person_and_numbered_adjustments(org, repo):
    from django.db import IntegrityError, transaction

    repo.commit({"a.py": lines(9)}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    award = Award.objects.get()

    def copy(**changes):
        row = Award.objects.filter(pk=award.pk).values()[0] | changes
        row.pop("id")
        with transaction.atomic():
            Award.objects.create(**row)

    with pytest.raises(IntegrityError):
        copy()  # a second award for the same change and person
    with pytest.raises(IntegrityError):
        copy(seq=1)  # numbered, but not an adjustment
    copy(kind=Award.Kind.ADJUSTMENT, seq=1)
    with pytest.raises(IntegrityError):
        copy(kind=Award.Kind.ADJUSTMENT, seq=1)  # the same number twice
    copy(kind=Award.Kind.ADJUSTMENT, seq=2)
    assert Award.objects.filter(change=award.change).count() == 3
