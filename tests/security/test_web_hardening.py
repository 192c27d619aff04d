"""Web controls: production settings pass `check --deploy`, a strict CSP on every page, CSRF on
every form, rate limits on sign-in and the token endpoint, and a bounded, safely parsed org CSV
upload."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from config.uploads import SizeLimitedUploadHandler
from people.models import OrgImport, Person
from people.orgcsv import OrgImportError
from people.roles import OSPO_ADMIN, RESEARCHER
from people.services import org_import
from tests.factories import UserFactory

PASSWORD = "pw-for-tests-123"
SERVICE_VARS = ("DJANGO_", "OSP_", "FIELD_ENCRYPTION_KEYS", "CACHE_URL", "DATABASE_URL")
HEADER = "email,name,team_path,start,end,gitlab_username,github_login\n"


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    """Rate-limit counters live in the cache: start and end every test with none. A fast
    hasher keeps a burst of sign-ins inside one rate-limit window."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_VARS)}
    env.update(
        OSP_PRODUCTION="true",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="k" + Fernet.generate_key().decode() * 2,
        DJANGO_ALLOWED_HOSTS="osp.institute.example",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        CACHE_URL="redis://127.0.0.1:6379/13",
        OSP_VAR_DIR=os.environ.get("OSP_VAR_DIR", str(settings.VAR_DIR)),
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def settings_value(expression: str, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print(repr(({expression})))"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


# --- Production settings --------------------------------------------------------------------


def test_production_settings_pass_check_deploy_at_warning_level():
    proc = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_check_deploy_fails_when_rate_limits_would_be_counted_per_process():
    proc = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(CACHE_URL=None)
    )
    assert proc.returncode != 0
    assert "osp.W001" in proc.stdout + proc.stderr


@pytest.mark.parametrize("keys", [None, "", "ZGV2LWluc2VjdXJlLW9zcC1maWVsZC1rZXktMDAwMDA=", "nope"])
def test_production_refuses_to_start_without_a_real_encryption_key(keys):
    proc = settings_value("s.FIELD_ENCRYPTION_KEYS", production_env(FIELD_ENCRYPTION_KEYS=keys))
    assert proc.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in proc.stderr


def test_production_cookies_and_transport_headers():
    proc = settings_value(
        "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        " s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS",
        production_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(True, True, 'Lax', True, 'Lax', True, True, True, 'DENY')"


# --- Content-Security-Policy ----------------------------------------------------------------


def csp_of(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/projects/", "/admin/login/", "/api/docs/"])
def test_every_page_carries_a_strict_policy(client, url):
    if url != "/accounts/login/":
        client.force_login(UserFactory(roles=[RESEARCHER]))
    response = client.get(url)
    assert response.status_code == 200
    policy = csp_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


TEMPLATE_DIRS = sorted(
    {Path(settings.BASE_DIR) / "config" / "templates"}
    | {p for p in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in p.parts}
)
INLINE = {
    "inline <script>": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I
    ),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style[\s>]", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def templates():
    for folder in TEMPLATE_DIRS:
        yield from sorted(folder.rglob("*.html"))


def test_templates_have_nothing_the_policy_would_block():
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in templates()
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert len(list(templates())) > 20
    assert found == []


# --- CSRF -----------------------------------------------------------------------------------

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.I | re.S)
INCLUDE = re.compile(r'{%\s*include\s+"([^"]+)"')


def has_token(form: str) -> bool:
    """The token is in the form, or in a template the form includes."""
    if "{% csrf_token %}" in form:
        return True
    for name in INCLUDE.findall(form):
        found = [d / name for d in TEMPLATE_DIRS if (d / name).exists()]
        if found and has_token(found[0].read_text()):
            return True
    return False


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    forms = [
        (path, m.group(0)) for path in templates() for m in FORM.finditer(path.read_text())
        if re.search(r'method\s*=\s*"?post', m.group(0).split(">", 1)[0], re.I)
    ]  # fmt: skip
    assert len(forms) > 10
    missing = [str(p.relative_to(settings.BASE_DIR)) for p, f in forms if not has_token(f)]
    assert missing == []


# Only the webhook receivers skip Django's CSRF check: forges sign them instead. DRF's views are
# exempt from the middleware, and DRF enforces CSRF itself on session-authenticated requests.
CSRF_EXEMPT_ALLOWED = {"hook-gitlab", "hook-github"}


def url_patterns(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def test_no_view_outside_the_webhooks_and_the_api_skips_csrf():
    exempt = []
    for route, pattern in url_patterns():
        view = pattern.callback
        if not getattr(view, "csrf_exempt", False):
            continue
        if pattern.name in CSRF_EXEMPT_ALLOWED:
            continue
        if getattr(view, "cls", None) is not None and hasattr(view.cls, "authentication_classes"):
            continue  # DRF: SessionAuthentication.enforce_csrf
        exempt.append(route)
    assert exempt == []


@pytest.mark.django_db
def test_a_post_without_the_token_is_refused():
    user = UserFactory(roles=[OSPO_ADMIN])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post("/i18n/setlang/", {"language": "ko"}).status_code == 403
    assert browser.post("/accounts/logout/").status_code == 403
    assert browser.post("/admin/people/team/add/", {"name": "x"}).status_code == 403
    # The API with the session cookie (a browser) needs the token too; with a token it does not.
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    assert api.post("/api/v1/org-imports/", {}).status_code == 403
    assert api.get("/api/v1/me/").status_code == 200


# --- Rate limits ----------------------------------------------------------------------------


def sign_in(client, login, password):
    client.post("/accounts/login/", {"login": login, "password": password})
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_sign_in_locks_an_account_after_five_failures():
    UserFactory(username="victim")
    UserFactory(username="bystander")
    client = Client()
    assert [sign_in(client, "victim", f"guess-{i}") for i in range(5)] == [False] * 5
    # The sixth try is refused even with the right password...
    response = client.post("/accounts/login/", {"login": "victim", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content
    # ...while another account still signs in from the same address.
    assert sign_in(Client(), "bystander", PASSWORD)


@pytest.mark.django_db
def test_sign_in_limits_failures_per_address():
    UserFactory(username="last")
    client = Client()
    for i in range(10):  # ten different accounts guessed from one address
        sign_in(client, f"nobody-{i}", "guess")
    assert not sign_in(client, "last", PASSWORD)
    other_address = Client(REMOTE_ADDR="10.9.8.7")
    assert sign_in(other_address, "last", PASSWORD)


@pytest.mark.django_db
def test_the_token_endpoint_is_throttled():
    UserFactory(username="api-user")
    api = APIClient()
    codes = [
        api.post("/api/v1/auth/token/", {"username": "api-user", "password": "wrong"}).status_code
        for _ in range(20)
    ]
    assert codes == [400] * 20
    refused = api.post("/api/v1/auth/token/", {"username": "api-user", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "token" not in refused.data


# --- Org CSV upload -------------------------------------------------------------------------


@pytest.fixture
def admin_api(db):
    api = APIClient()
    api.force_authenticate(UserFactory(roles=[OSPO_ADMIN]))
    return api


def csv_of_size(size: int) -> bytes:
    row = "a@institute.example,A,Lab/Team,2025-01-01,,,\n"
    body = (HEADER + row).encode()
    return body + b"\n" * (size - len(body))  # blank lines are skipped by the parser


def test_an_upload_over_the_limit_is_refused_and_stores_nothing(admin_api, settings):
    settings.ORG_CSV_MAX_BYTES = 4096
    big = admin_api.post(
        "/api/v1/org-imports/", {"file": SimpleUploadedFile("org.csv", csv_of_size(4097))}
    )
    assert big.status_code == 400
    assert big.data == {"file": ["The file is larger than 4096 bytes."]}
    assert not OrgImport.objects.exists() and not Person.objects.exists()
    ok = admin_api.post(
        "/api/v1/org-imports/",
        {"file": SimpleUploadedFile("org.csv", csv_of_size(4096)), "create_teams": True},
    )
    assert ok.status_code == 202, ok.data
    assert OrgImport.objects.count() == 1


def test_the_upload_handler_stops_reading_past_the_limit(settings):
    settings.ORG_CSV_MAX_BYTES = 1000
    handler = SizeLimitedUploadHandler()
    with pytest.raises(RequestDataTooBig):  # a declared length far over the limit: not read
        handler.handle_raw_input(None, {}, 10_000_000, b"b")
    handler.handle_raw_input(None, {}, None, b"b")  # chunked: no length, counted as it comes
    handler.new_file("file", "org.csv", "text/csv", None)
    assert handler.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    with pytest.raises(RequestDataTooBig):
        handler.receive_data_chunk(b"x" * 600, 600)


HOSTILE = {
    "NUL bytes": HEADER + "a@institute.example,A\x00B,Lab/T,2025-01-01,,,\n",
    "unbalanced quote": HEADER + 'a@institute.example,"A,Lab/T,2025-01-01,,,\n',
    "field over csv's limit": HEADER
    + "a@institute.example,"
    + "A" * 200_000
    + ",Lab/T,2025-01-01,,,\n",
    "extra columns": HEADER + "a@institute.example,A,Lab/T,2025-01-01,,,," + ",x" * 5000 + "\n",
    "formula and path tricks": HEADER + "=cmd@x,=HYPERLINK(1),../../etc,2025-01-01,,,\n",
    "control chars in team": HEADER + "a@institute.example,A,Lab/\x1b[31m,2025-01-01,,,\n",
    "one good row then a bad one": HEADER
    + "good@institute.example,Good,Lab/T,2025-01-01,,,\n"
    + "bad@institute.example,Bad,Lab/T,not-a-date,,,\n",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_csv_is_refused_row_by_row_and_writes_nothing(name):
    with pytest.raises(OrgImportError) as caught:
        org_import(text=HOSTILE[name], create_teams=True)
    assert caught.value.errors and all(e.line >= 1 for e in caught.value.errors)
    assert not Person.objects.exists()
    from people.models import Team

    assert not Team.objects.exists()
