"""Sign-in and roles: API answers 401/403, pages answer a login redirect or a 403 page, never 500."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from people.models import OrgImport, Person
from people.roles import OSPO_ADMIN, RESEARCHER, ROLE_PERMISSIONS, ROLES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ORG = (
    "email,name,team_path,start,end,gitlab_username,github_login\n"
    "a@institute.example,A,Lab/One,2025-01-01,,a-user,\n"
)


def test_every_role_exists_with_its_permissions():
    for role in ROLES:
        group = Group.objects.get(name=role)
        codenames = set(group.permissions.values_list("codename", flat=True))
        assert set(ROLE_PERMISSIONS[role]) <= codenames


def test_api_anonymous_gets_401_with_challenge():
    response = APIClient().get("/api/v1/people/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_api_wrong_token_gets_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/people/").status_code == 401


def test_token_login_and_listing():
    UserFactory(username="reader")
    client = APIClient()
    bad = client.post("/api/v1/auth/token/", {"username": "reader", "password": "wrong"})
    assert bad.status_code == 400
    token = client.post(
        "/api/v1/auth/token/", {"username": "reader", "password": "pw-for-tests-123"}
    ).data["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/people/")
    assert response.status_code == 200
    assert set(response.data) == {"count", "next", "previous", "results"}


def test_me_reports_roles():
    user = UserFactory(username="res", roles=[RESEARCHER])
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/me/").data["roles"] == [RESEARCHER]


def test_org_upload_needs_ospo_admin():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[RESEARCHER]))
    response = client.post(
        "/api/v1/org-imports/", {"file": SimpleUploadedFile("org.csv", ORG.encode())}
    )
    assert response.status_code == 403
    assert not OrgImport.objects.exists()


def test_org_upload_by_admin_imports_in_task(django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[OSPO_ADMIN]))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(
            "/api/v1/org-imports/",
            {"file": SimpleUploadedFile("org.csv", ORG.encode()), "create_teams": True},
        )
    assert len(queued) >= 1  # the import task (and, from it, the recompute signal)
    assert response.status_code == 202, response.data
    record = OrgImport.objects.get(pk=response.data["id"])
    assert record.state == OrgImport.State.DONE, record.errors
    assert Person.objects.filter(email="a@institute.example").exists()


def test_org_upload_with_bad_rows_fails_and_lists_them(django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[OSPO_ADMIN]))
    bad = ORG.replace("2025-01-01", "yesterday")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/org-imports/", {"file": SimpleUploadedFile("org.csv", bad.encode())}
        )
    record = OrgImport.objects.get(pk=response.data["id"])
    assert record.state == OrgImport.State.FAILED
    assert record.errors == [
        {"line": 2, "message": "start 'yesterday' is not a date in YYYY-MM-DD form"}
    ]
    assert not Person.objects.exists()


def test_org_upload_refuses_non_utf8_and_oversize(settings):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[OSPO_ADMIN]))
    latin = client.post(
        "/api/v1/org-imports/", {"file": SimpleUploadedFile("o.csv", "é".encode("latin-1"))}
    )
    assert latin.status_code == 400 and "not UTF-8" in str(latin.data)
    settings.ORG_CSV_MAX_BYTES = 10
    big = client.post("/api/v1/org-imports/", {"file": SimpleUploadedFile("o.csv", ORG.encode())})
    assert big.status_code == 400 and "larger than 10 bytes" in str(big.data)
    assert not OrgImport.objects.exists()


def test_org_export_needs_admin_and_returns_csv():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[RESEARCHER]))
    assert client.get("/api/v1/org-imports/export/").status_code == 403
    client.force_authenticate(UserFactory(roles=[OSPO_ADMIN]))
    response = client.get("/api/v1/org-imports/export/")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert response.content.decode().startswith("email,name,team_path")


def test_pages_redirect_anonymous_to_sign_in(client):
    response = client.get("/directory/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_page_for_non_staff_is_a_login_not_a_500(client):
    client.force_login(UserFactory(roles=[RESEARCHER]))
    assert client.get("/admin/").status_code == 302


def test_unknown_page_is_a_404_page(client):
    client.force_login(UserFactory())
    response = client.get("/no/such/page/")
    assert response.status_code == 404


def test_directory_lists_people_with_search(client):
    from people import services

    services.org_import(text=ORG, create_teams=True)
    client.force_login(UserFactory())
    page = client.get("/directory/", {"q": "a-user"})
    assert page.status_code == 200 and b"a@institute.example" in page.content
    none = client.get("/directory/", {"q": "zzz"})
    assert b"a@institute.example" not in none.content


def test_admin_is_usable_for_every_model(client):
    from django.contrib import admin

    from people import services

    services.org_import(text=ORG, create_teams=True)
    client.force_login(UserFactory(username="boss", roles=[OSPO_ADMIN]))
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="boss").update(is_staff=True)
    for model in admin.site._registry:
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        assert client.get(url).status_code == 200, url
