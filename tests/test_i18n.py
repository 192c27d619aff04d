"""Korean translation: the catalogue is complete, compiled, and covers every user-facing string.

Four guards against a string slipping through untranslated:
- every template's visible text is inside {% translate %} / {% blocktranslate %} (no gettext needed);
- every string marked in Python or templates is in the .po, by an AST/template-lexer extraction
  that needs no gettext (so CI runs it);
- `makemessages` itself, run on a copy of the sources, extracts nothing the committed .po lacks
  (needs GNU gettext; skipped with the reason when it is missing);
- the main pages, rendered in Korean, show no English text that the catalogue translates.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.text import smart_split
from django.utils.translation import trim_whitespace

from people.roles import COMMITTEE_MEMBER, MANAGER
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import PASSWORD, in_review, make_user

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# What `makemessages` must not look at (the command in docs/decisions.md uses the same list).
IGNORE = [".venv", "tests", "bench", "localforge", "var", "docs", "test-results"]
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-+ #0]*\d*(?:\.\d+)?[sdrif%]")

world = workflow_fixtures.world


def _catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def _key(entry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


# -- the catalogue ----------------------------------------------------------------------------


def test_po_has_no_untranslated_fuzzy_or_obsolete_entries():
    po = _catalogue()
    assert len(po) > 300
    assert po.metadata["Language"] == "ko"
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []


def test_translations_keep_the_placeholders_and_are_korean():
    for e in _catalogue():
        strings = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        for s in strings:
            assert sorted(PLACEHOLDER.findall(s)) == sorted(PLACEHOLDER.findall(e.msgid)), e.msgid
        # Brand and product names stay as they are; everything else is written in Hangul.
        if re.search(r"[a-z]{3}", e.msgid) and e.msgid not in {"GitLab", "GitHub"}:
            assert any("\uac00" <= ch <= "\ud7a3" for ch in "".join(strings)), e.msgid


def test_committed_mo_matches_the_po():
    po = _catalogue()
    mo = polib.mofile(str(MO))
    compiled = {_key(e): (e.msgstr, dict(e.msgstr_plural)) for e in mo if e.msgid}
    source = {
        _key(e): (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})
        for e in po.translated_entries()
    }
    assert {k: (s, {int(i): v for i, v in p.items()}) for k, (s, p) in compiled.items()} == source


def test_django_reads_the_catalogue():
    with translation.override("ko"):
        assert translation.gettext("Inner-source catalogue") == "이너소스 카탈로그"
        assert translation.ngettext("%(n)s finding", "%(n)s findings", 3) % {"n": 3} == (
            "발견 사항 3건"
        )


# -- nothing left out ---------------------------------------------------------------------------

TAG = re.compile(r"<[^>]*>", re.S)
ATTRIBUTE = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"{]*)"')
SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
WORD = re.compile(r"[A-Za-z]{2,}")
NOT_TRANSLATED = ("OSP Federation", "CSV")  # the product's name, a file format


def bare_text(source: str) -> list[str]:
    """Visible English in a template that is outside the translation tags."""
    parts, in_block = [], False
    for token in Lexer(source).tokenize():
        name = (token.contents.split() or [""])[0]
        if token.token_type == TokenType.BLOCK and name in (
            "blocktranslate",
            "blocktrans",
            "comment",
        ):
            in_block = True
        elif token.token_type == TokenType.BLOCK and name in (
            "endblocktranslate",
            "endblocktrans",
            "endcomment",
        ):
            in_block = False
        parts.append(token.contents if token.token_type == TokenType.TEXT and not in_block else " ")
    text = re.sub(r"<!--.*?-->", " ", SCRIPT.sub(" ", "".join(parts)), flags=re.S)
    found = [a for a in ATTRIBUTE.findall(text) if WORD.search(a)]
    for chunk in TAG.sub("\n", text).split("\n"):
        for name in NOT_TRANSLATED:
            chunk = chunk.replace(name, "")
        if WORD.search(chunk):
            found.append(chunk.strip())
    return found


# Long prose (the guides) is kept as one template per language, under a folder named for the
# language (guides/templates/guides/en/, .../ko/): those are translated whole, not by string.
PER_LANGUAGE = {code for code, _name in settings.LANGUAGES}
TEMPLATES = sorted(
    p
    for p in ROOT.glob("*/templates/**/*.html")
    if ".venv" not in p.parts and not PER_LANGUAGE & set(p.relative_to(ROOT).parts[:-1])
)


def test_the_template_scan_catches_an_unwrapped_string():
    assert bare_text('{% load i18n %}<p>{% translate "Hello" %}</p>') == []
    assert bare_text("{% blocktranslate %}Hi {{ x }}{% endblocktranslate %}") == []
    assert bare_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert bare_text('<input placeholder="Search">') == ["Search"]
    assert bare_text("{% comment %}A note for developers{% endcomment %}") == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_marked_for_translation(path):
    assert bare_text(path.read_text()) == []


# A gettext-free extraction (what makemessages would find), so that CI checks it too.
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
UNDERSCORE = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")


def python_msgids(source: str) -> set[tuple[str | None, str]]:
    out = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        first = [a.value if isinstance(a, ast.Constant) else None for a in node.args[:2]]
        if name in CONTEXT and len(first) == 2 and all(isinstance(v, str) for v in first):
            out.add((first[0], first[1]))
        elif name in SINGULAR and isinstance(first[0], str):
            out.add((None, first[0]))
    return out


def _literal(bit: str) -> str | None:
    return bit[1:-1] if len(bit) > 1 and bit[0] in "\"'" and bit[-1] == bit[0] else None


def _context(bits: list[str]) -> str | None:
    return _literal(bits[bits.index("context") + 1]) if "context" in bits[:-1] else None


def template_msgids(source: str) -> set[tuple[str | None, str]]:
    """{% translate "…" %}, _("…") in tags and filters, and {% blocktranslate %} bodies (the
    singular; variables become %(name)s, as makemessages writes them)."""
    out, body, trimmed, context = set(), None, False, None
    for token in Lexer(source).tokenize():
        text = token.contents
        if token.token_type in (TokenType.VAR, TokenType.BLOCK):
            out |= {(None, a if a is not None else b) for a, b in UNDERSCORE.findall(text)}
        if token.token_type == TokenType.BLOCK:
            bits = list(smart_split(text)) or [""]
            if bits[0] in ("translate", "trans") and len(bits) > 1 and _literal(bits[1]):
                out.add((_context(bits), _literal(bits[1])))
            elif bits[0] in ("blocktranslate", "blocktrans"):
                body, trimmed, context = [], "trimmed" in bits, _context(bits)
            elif bits[0] in ("plural", "endblocktranslate", "endblocktrans") and body is not None:
                joined = "".join(body)
                out.add((context, trim_whitespace(joined) if trimmed else joined))
                body = None
        elif body is not None and token.token_type == TokenType.TEXT:
            body.append(text.replace("%", "%%"))
        elif body is not None and token.token_type == TokenType.VAR:
            body.append(f"%({text.split('|')[0].strip()})s")
    return out


def marked_strings() -> set[tuple[str | None, str]]:
    out = set()
    tops = [d for d in ROOT.iterdir() if d.is_dir() and d.name not in IGNORE]
    for top in (d for d in tops if not d.name.startswith(".")):
        for path in sorted(top.rglob("*.py")):
            out |= python_msgids(path.read_text())
    for path in TEMPLATES:
        out |= template_msgids(path.read_text())
    return out


def test_the_extraction_finds_what_makemessages_would():
    python = 'x = _("One")\ny = pgettext("menu", "Two")\nz = gettext_noop(\n    "Thr" "ee"\n)\n'
    assert python_msgids(python) == {(None, "One"), ("menu", "Two"), (None, "Three")}
    template = (
        '{% translate "Four" %}{{ x|default:_("Five") }}{% translate "Six" context "verb" %}'
        "{% blocktranslate count n=x %}{{ n }} item at 5%{% plural %}{{ n }} items"
        "{% endblocktranslate %}"
    )
    assert template_msgids(template) == {
        (None, "Four"),
        (None, "Five"),
        ("verb", "Six"),
        (None, "%(n)s item at 5%%"),
    }


def test_every_marked_string_is_in_the_catalogue():
    """Works without gettext: a string wrapped in code but missing from the .po is caught."""
    committed = {_key(e) for e in _catalogue()}
    marked = marked_strings()
    assert sorted(marked - committed, key=str) == [], "run makemessages and translate these"
    assert sorted(committed - marked, key=str) == [], "strings no longer used: regenerate"


def _copy_sources(target: Path) -> None:
    def skip(folder, names):
        top = Path(folder) == ROOT
        return [
            n
            for n in names
            if n in {"__pycache__", ".git", "node_modules"}
            or (top and (n in IGNORE or n == "locale"))
        ]

    shutil.copytree(ROOT, target, ignore=skip, symlinks=True)


def test_makemessages_extracts_nothing_the_po_lacks(tmp_path):
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    copy = tmp_path / "src"
    _copy_sources(copy)
    (copy / PO.parent.relative_to(ROOT)).mkdir(parents=True)
    shutil.copy(PO, copy / PO.relative_to(ROOT))
    command = [sys.executable, "manage.py", "makemessages", "-l", "ko", "--no-obsolete"]
    for pattern in IGNORE:
        command += ["-i", pattern]
    env = {**os.environ, "PYTHONPATH": str(copy), "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    fresh = polib.pofile(str(copy / PO.relative_to(ROOT)))
    committed = {_key(e) for e in _catalogue()}
    extracted = {_key(e) for e in fresh}
    assert sorted(extracted - committed, key=str) == [], "run makemessages and translate these"
    assert sorted(committed - extracted, key=str) == [], "strings no longer used: regenerate"
    assert [e.msgid for e in fresh.untranslated_entries() + fresh.fuzzy_entries()] == []


# -- pages in Korean -----------------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())


def _english_left(html: str) -> list[str]:
    """Catalogue sentences (two words or more) that appear in English on a Korean page."""
    text = visible_text(html)
    left = []
    for e in _catalogue():
        if e.msgid_plural or "%" in e.msgid or e.msgstr == e.msgid or " " not in e.msgid:
            continue
        if re.search(rf"(?<![\w-]){re.escape(e.msgid)}(?![\w-])", text):
            left.append(e.msgid)
    return left


@pytest.fixture
def pages(world):
    """The main pages, for a committee member who is also a manager (sees all of them)."""
    viewer = make_user(
        "mina",
        [COMMITTEE_MEMBER, MANAGER],
        workflow_fixtures.people_services.team_ensure_path(path="Legal/Office"),
    )
    workflow_fixtures.assign(viewer, "legal")
    d = in_review(world)
    urls = {
        "catalogue": (reverse("projects:catalogue"), "이너소스 카탈로그"),
        "project": (reverse("projects:detail", args=[world.project.pk]), "기여하는 방법"),
        "disclosure": (reverse("review:disclosure", args=[d.pk]), "공개 계획"),
        "queue": (reverse("review:queue"), "심사 대기열"),
        "dashboard": (reverse("incentives:dashboard"), "이너소스 대시보드"),
        "directory": (reverse("people:directory"), "사람과 팀"),
    }
    return viewer, urls


def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_pages_render_in_korean_when_language_code_is_ko(pages, client, settings):
    settings.LANGUAGE_CODE = "ko"
    viewer, urls = pages
    assert client.login(username=viewer.username, password=PASSWORD)
    for name, (url, heading) in urls.items():
        html = _get(client, url)
        assert '<html lang="ko">' in html, name
        assert heading in html, name
        assert "로그아웃" in html and "시각 표시 기준 시간대" in html, name
        assert _english_left(html) == [], name
    missing = client.get("/no-such-page/")
    assert (
        missing.status_code == 404 and "이 주소에는 아무것도 없습니다." in missing.content.decode()
    )
    client.logout()
    sign_in = _get(client, reverse("account_login"))  # allauth ships its own Korean
    assert '<html lang="ko">' in sign_in and "로그인" in sign_in


def test_pages_stay_in_english_by_default(pages, client):
    viewer, urls = pages
    assert client.login(username=viewer.username, password=PASSWORD)
    html = _get(client, urls["catalogue"][0])
    assert '<html lang="en">' in html
    assert "Inner-source catalogue" in html and "이너소스" not in html
    assert "Inner-source catalogue" in _english_left(html)  # the check sees English


def test_the_switcher_changes_the_language(pages):
    viewer, urls = pages
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=viewer.username, password=PASSWORD)
    html = _get(client, urls["queue"][0])
    form = re.search(r'<form[^>]*action="(/i18n/setlang/)"[^>]*method="post".*?</form>', html, re.S)
    assert form, "the navbar offers a language switcher"
    assert re.search(r'<option value="ko"[^>]*>한국어</option>', form.group(0))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)

    refused = client.post(form.group(1), {"language": "ko", "next": urls["queue"][0]})
    assert refused.status_code == 403  # the switcher posts its CSRF token; without it, refused

    response = client.post(
        form.group(1),
        {"language": "ko", "next": urls["queue"][0], "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == urls["queue"][0]
    for name, (url, heading) in urls.items():
        html = _get(client, url)
        assert heading in html, name
        assert _english_left(html) == [], name
    assert re.search(r'<option value="ko" selected>', _get(client, urls["catalogue"][0]))

    html = _get(client, urls["catalogue"][0])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    client.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert "Inner-source catalogue" in _get(client, urls["catalogue"][0])
