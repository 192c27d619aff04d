"""The code around a finding, read from the mirror, for every kind of file a repo may hold."""

import pytest

from review.codeview import MAX_BLOB_BYTES, finding_context
from tests.review import workflow_fixtures

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db

TEXT = "".join(f"line {n}\n" for n in range(1, 21))


@pytest.fixture
def odd(world):
    r = world.repo
    r.write({"text.py": TEXT, "bin/model.bin": b"\x00\x01\x02" * 100})
    r.write({"korean.txt": "첫째 줄\n둘째 줄\n".encode("cp949")})
    r.write({"huge.txt": b"a\n" * (MAX_BLOB_BYTES // 2 + 10)})
    r.write({"-dash.txt": "dash\n", "sp ace [x].txt": "odd name\n"})
    r.symlink("link", "../../etc/passwd")
    r.git("add", "--all")
    r.git("update-index", "--add", "--cacheinfo", f"160000,{world.sha},vendor/sub")
    return world.commit(message="odd files", stage=False)


def ctx(world, sha, path, line):
    return finding_context(world.project, sha, path, line)


def test_lines_around_the_finding(world, odd):
    c = ctx(world, odd, "text.py", 10)
    assert [n for n, _, _ in c.lines] == [7, 8, 9, 10, 11, 12, 13]
    assert [n for n, _, hit in c.lines if hit] == [10]
    assert c.lines[3][1] == "line 10"


def test_edges_of_the_file(world, odd):
    assert [n for n, _, _ in ctx(world, odd, "text.py", 1).lines] == [1, 2, 3, 4]
    assert [n for n, _, _ in ctx(world, odd, "text.py", 20).lines] == [17, 18, 19, 20]
    assert "only 20 lines" in ctx(world, odd, "text.py", 99).note


@pytest.mark.parametrize(
    "path, note",
    [
        ("bin/model.bin", "binary"),
        ("huge.txt", "large file"),
        ("link", "symbolic link"),
        ("vendor/sub", "submodule"),
        ("missing.txt", "not in this commit"),
        ("bin", "directory"),
    ],
)
def test_odd_files_give_a_note_not_a_crash(world, odd, path, note):
    c = ctx(world, odd, path, 3)
    assert c.lines == [] and note in c.note


def test_not_utf8_is_shown_with_replacements(world, odd):
    c = ctx(world, odd, "korean.txt", 1)
    assert c.lines and c.lines[0][0] == 1 and "\ufffd" in c.lines[0][1]


def test_odd_names(world, odd):
    assert ctx(world, odd, "-dash.txt", 1).lines[0][1] == "dash"
    assert ctx(world, odd, "sp ace [x].txt", 1).lines[0][1] == "odd name"


def test_bad_commit_or_no_mirror(world, odd, settings, tmp_path):
    assert "No commit" in ctx(world, "HEAD", "text.py", 1).note
    assert "cannot be read" in ctx(world, "1" * 40, "text.py", 1).note
    settings.GIT_CACHE_DIR = str(tmp_path / "elsewhere")
    assert "not available" in ctx(world, odd, "text.py", 1).note


def test_no_line_means_no_excerpt(world, odd):
    c = ctx(world, odd, "text.py", None)
    assert c.lines == [] and c.note == ""


def test_secrets_are_masked_when_asked(world, odd):
    world.commit({"conf.py": "TOKEN = 'glpat-Zq3Rk8Vw2Xy7Lm4Np9Tb'\n"})
    plain = ctx(world, world.sha, "conf.py", 1).lines[0][1]
    masked = finding_context(world.project, world.sha, "conf.py", 1, redact=True).lines[0][1]
    assert "Zq3Rk8Vw2Xy7Lm4Np9Tb" in plain
    assert "Zq3Rk8Vw2Xy7Lm4Np9Tb" not in masked and masked.startswith("TOKEN = 'glpa…")
