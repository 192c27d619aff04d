"""The authorization table: every URL pattern of the project × every role, with the expected
status for GET and, for write endpoints, the write method.

A URL pattern without a row fails `test_every_url_pattern_has_a_row`, so a new endpoint needs a
row here before it ships. Django admin internals are covered by the /admin/ index, its login
page and one changelist. The API router has no `.json` format-suffix routes (they answered
custom actions with a 500; `test_no_format_suffix_routes`).

Cells: an HTTP status, or LOGIN (a redirect to the sign-in page). A 302 in a page row means a
redirect somewhere other than sign-in (the action's success). Object-level rules:
- private projects: the owner team's tree and OSPO admins see them; everyone else gets 404;
- own-team conflicts: a committee member or chair of the owner team never signs off or approves
  (columns own_rev and own_chair);
- manager scope: a manager (of Physics) sees the individual points of Physics people only,
  unless an OSPO admin switches individual ranks on (`test_manager_scope_switch`).
The world is built in `tests/security/authz_world.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.security import authz_world
from tests.security.authz_world import ROLES

pytestmark = pytest.mark.django_db
LOGIN = "login"
REFUSED = "refused"  # a page action answered with a redirect back and an error message
ORG_CSV = "email,name,team_path,start,end,gitlab_username,github_login\n"


@dataclass(frozen=True)
class Row:
    pattern: str  # as the resolver spells it (prefix + pattern)
    method: str
    url: str  # formatted with the world's ids
    expect: tuple  # one cell per role, in ROLES order
    body: object = None  # dict (JSON for the API, form fields for pages) or "org-csv"

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}"


def R(pattern, method, url, *expect, body=None):  # noqa: N802 - a table row
    assert len(expect) == len(ROLES), (pattern, method, len(expect))
    return Row(pattern, method, url, tuple(expect), body)


A = "api/v1/"
REV = {"note": "looked at it"}
PLAN = {
    "mode": "full_history",
    "outbound_license": "Apache-2.0",
    "purpose": "Share it.",
    "target_repo": "fresh-lib",
    "maintainers": ["alice-gh"],
    "expected_contributions": "occasional",
}

# fmt: off
#  columns:     anon   res    oth    legal  secur  ip     export chair  own_rv own_ch mgr    admin
TABLE = [
    # -- pages -----------------------------------------------------------------------------------
    R("", "GET", "/",                                                 LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("directory/", "GET", "/directory/",                             LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("directory/people/<int:pk>/", "GET", "/directory/people/{p_res}/", LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("guides/", "GET", "/guides/",                                   LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("guides/<slug:slug>/", "GET", "/guides/release/",               LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("guides/<slug:slug>/", "GET", "/guides/contributing/",          LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("guides/<slug:slug>/", "GET", "/guides/no-such-guide/",         LOGIN, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),  # noqa: E501
    R("projects/", "GET", "/projects/",                               LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("projects/register/", "GET", "/projects/register/",             LOGIN, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("projects/register/", "POST", "/projects/register/",            LOGIN, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 200, body={}),  # noqa: E501
    R("projects/<int:pk>/", "GET", "/projects/{internal}/",           LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("projects/<int:pk>/", "GET", "/projects/{private}/",            LOGIN, 200, 404, 404, 404, 404, 404, 404, 200, 200, 404, 200),  # noqa: E501
    R("projects/<int:pk>/edit/", "GET", "/projects/{internal}/edit/", LOGIN, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("projects/<int:pk>/edit/", "POST", "/projects/{internal}/edit/", LOGIN, 302, 403, 403, 403, 403, 403, 403, 403, 403, 403, 302, body={"summary": "s", "sharing": "internal"}),  # noqa: E501
    R("projects/<int:pk>/edit/", "GET", "/projects/{private}/edit/",  LOGIN, 200, 404, 404, 404, 404, 404, 404, 403, 403, 404, 200),  # noqa: E501
    R("projects/<int:pk>/transfer/", "GET", "/projects/{internal}/transfer/", LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("projects/<int:pk>/transfer/", "POST", "/projects/{internal}/transfer/", LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 302, body={"team": "{other_team}", "start": "{today}"}),  # noqa: E501
    R("review/", "GET", "/review/",                                   LOGIN, 403, 403, 200, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    R("review/disclosures/<int:pk>/", "GET", "/review/disclosures/{d}/", LOGIN, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R("review/disclosures/<int:pk>/", "GET", "/review/disclosures/{dp}/", LOGIN, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R("review/disclosures/<int:pk>/screening.json", "GET", "/review/disclosures/{d}/screening.json", LOGIN, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R("review/disclosures/<int:pk>/audit.csv", "GET", "/review/disclosures/{d}/audit.csv", LOGIN, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R("review/disclosures/<int:pk>/resubmit/", "GET", "/review/disclosures/{d}/resubmit/", LOGIN, 200, 404, 403, 403, 403, 403, 403, 403, 403, 404, 200),  # noqa: E501
    R("review/disclosures/<int:pk>/resubmit/", "POST", "/review/disclosures/{d}/resubmit/", LOGIN, 200, 404, 403, 403, 403, 403, 403, 403, 403, 404, 200, body={"sha": "{sha}"}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "GET", "/review/disclosures/{d}/comment/", LOGIN, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/comment/", LOGIN, 302, 404, 302, 302, 302, 302, 302, 302, 302, 404, 302, body={"text": "hi"}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/sign_off/", LOGIN, REFUSED, 404, 302, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, 404, REFUSED, body={"lane": "legal", **REV}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/send_back/", LOGIN, REFUSED, 404, REFUSED, 302, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, 404, REFUSED, body={"lane": "security", **REV}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{ds}/approve/", LOGIN, REFUSED, 404, REFUSED, REFUSED, REFUSED, REFUSED, 302, REFUSED, REFUSED, 404, 302, body=REV),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/reject/", LOGIN, REFUSED, 404, REFUSED, REFUSED, REFUSED, REFUSED, 302, REFUSED, REFUSED, 404, 302, body={"reason": "no"}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/withdraw/", LOGIN, 302, 404, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, 404, 302, body={"reason": "no"}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/waive/", LOGIN, REFUSED, 404, REFUSED, 302, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, 404, REFUSED, body={"finding": "{finding}", "lane": "security", "reason": "fine", "owner": "alice", "expires_on": "{later}"}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/patent_decision/", LOGIN, REFUSED, 404, REFUSED, REFUSED, 302, REFUSED, REFUSED, REFUSED, REFUSED, 404, REFUSED, body={"patent": "{patent}", "decision": "cleared", "note": "ok"}),  # noqa: E501
    R("review/disclosures/<int:pk>/<slug:action>/", "POST", "/review/disclosures/{d}/no-such-action/", LOGIN, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, body={}),  # noqa: E501
    R("review/projects/<int:project_pk>/request/", "GET", "/review/projects/{fresh}/request/", LOGIN, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("review/projects/<int:project_pk>/request/", "POST", "/review/projects/{fresh}/request/", LOGIN, 302, 403, 403, 403, 403, 403, 403, 403, 403, 403, 302, body={**PLAN, "maintainers": "alice-gh", "sha": "{sha}"}),  # noqa: E501
    R("review/projects/<int:project_pk>/request/", "GET", "/review/projects/{private}/request/", LOGIN, 200, 404, 404, 404, 404, 404, 404, 403, 403, 404, 200),  # noqa: E501
    R("federation/", "GET", "/federation/",                           LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("federation/projects/<int:pk>/runs/", "GET", "/federation/projects/{internal}/runs/", LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("federation/divergences/<int:pk>/decide/", "POST", "/federation/divergences/{div}/decide/", LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 302, body={"choice": "hold", "reason": "wait"}),  # noqa: E501
    R("federation/divergences/<int:pk>/decide/", "GET", "/federation/divergences/{div}/decide/", LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 405),  # noqa: E501
    R("federation/held/<int:pk>/dismiss/", "POST", "/federation/held/{held}/dismiss/", LOGIN, 403, 403, 302, 302, 302, 302, 302, 302, 302, 403, 302, body={"note": "stays in"}),  # noqa: E501
    R("federation/held/<int:pk>/dismiss/", "GET", "/federation/held/{held}/dismiss/", LOGIN, 403, 403, 405, 405, 405, 405, 405, 405, 405, 403, 405),  # noqa: E501
    R("incentives/", "GET", "/incentives/",                           LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("incentives/leaderboard/<str:by>/", "GET", "/incentives/leaderboard/person/", LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
    R("incentives/leaderboard/<str:by>/", "GET", "/incentives/leaderboard/team/", LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
    R("incentives/leaderboard/<str:by>/", "GET", "/incentives/leaderboard/nope/", LOGIN, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),  # noqa: E501
    R("incentives/flow.csv", "GET", "/incentives/flow.csv",           LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
    R("incentives/trend.csv", "GET", "/incentives/trend.csv",         LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
    R("incentives/me/", "GET", "/incentives/me/",                     LOGIN, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    R("incentives/people/<int:pk>/", "GET", "/incentives/people/{p_res}/", LOGIN, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("incentives/people/<int:pk>/", "GET", "/incentives/people/{p_oth}/", LOGIN, 403, 200, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
    R("incentives/awards/<int:pk>/", "GET", "/incentives/awards/{award_res}/", LOGIN, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("incentives/awards/<int:pk>/", "GET", "/incentives/awards/{award_oth}/", LOGIN, 403, 200, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
    R("incentives/policy/", "GET", "/incentives/policy/",             LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("incentives/identities/", "GET", "/incentives/identities/",     LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R("incentives/identities/", "POST", "/incentives/identities/",    LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 302, body={"show_individual_ranks": "on"}),  # noqa: E501
    R("i18n/setlang/", "POST", "/i18n/setlang/",                      302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, body={"language": "en"}),  # noqa: E501
    R("admin/", "GET", "/admin/",                                     302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 200),  # noqa: E501
    R("admin/login/", "GET", "/admin/login/",                         200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 302),  # noqa: E501
    R("admin/people/person/", "GET", "/admin/people/person/",         302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 200),  # noqa: E501
    # -- sign-in (allauth) -----------------------------------------------------------------------
    R("accounts/login/", "GET", "/accounts/login/",                   200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    R("accounts/logout/", "POST", "/accounts/logout/",                LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, body={}),  # noqa: E501
    R("accounts/inactive/", "GET", "/accounts/inactive/",             200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/signup/", "GET", "/accounts/signup/",                 200, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    R("accounts/reauthenticate/", "GET", "/accounts/reauthenticate/", LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/reauthenticate/code/", "GET", "/accounts/reauthenticate/code/", LOGIN, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    R("accounts/reauthenticate/code/confirm/", "GET", "/accounts/reauthenticate/code/confirm/", LOGIN, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    R("accounts/email/", "GET", "/accounts/email/",                   LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/confirm-email/", "GET", "/accounts/confirm-email/",   200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/password/change/", "GET", "/accounts/password/change/", LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/password/set/", "GET", "/accounts/password/set/",     LOGIN, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    R("accounts/password/reset/", "GET", "/accounts/password/reset/", 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/login/code/confirm/", "GET", "/accounts/login/code/confirm/", LOGIN, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),  # noqa: E501
    R("accounts/^confirm-email/(?P<key>[-:\\w]+)/$", "GET", "/accounts/confirm-email/bogus-key/", 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/password/reset/key/done/", "GET", "/accounts/password/reset/key/done/", 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$", "GET", "/accounts/password/reset/key/1-bogus/", 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/password/reset/done/", "GET", "/accounts/password/reset/done/", 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/3rdparty/login/cancelled/", "GET", "/accounts/3rdparty/login/cancelled/", 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/3rdparty/login/error/", "GET", "/accounts/3rdparty/login/error/", 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),  # noqa: E501
    R("accounts/3rdparty/signup/", "GET", "/accounts/3rdparty/signup/", LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),  # noqa: E501
    R("accounts/3rdparty/", "GET", "/accounts/3rdparty/",             LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("accounts/social/login/cancelled/", "GET", "/accounts/social/login/cancelled/", 301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301),  # noqa: E501
    R("accounts/social/login/error/", "GET", "/accounts/social/login/error/", 301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301),  # noqa: E501
    R("accounts/social/signup/", "GET", "/accounts/social/signup/",   301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301),  # noqa: E501
    R("accounts/social/connections/", "GET", "/accounts/social/connections/", 301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301),  # noqa: E501
    R("accounts/gitlab/login/", "GET", "/accounts/gitlab/login/",     404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),  # noqa: E501
    R("accounts/gitlab/login/callback/", "GET", "/accounts/gitlab/login/callback/", 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),  # noqa: E501
    R("accounts/github/login/", "GET", "/accounts/github/login/",     404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),  # noqa: E501
    R("accounts/github/login/callback/", "GET", "/accounts/github/login/callback/", 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),  # noqa: E501
    # -- webhooks: signatures decide, never the session ------------------------------------------
    R("hooks/gitlab/<str:key>/", "POST", "/hooks/gitlab/{internal_key}/", 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, body={}),  # noqa: E501
    R("hooks/gitlab/<str:key>/", "GET", "/hooks/gitlab/{internal_key}/", 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),  # noqa: E501
    R("hooks/github/", "POST", "/hooks/github/",                      403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, body={}),  # noqa: E501
    R("hooks/github/", "GET", "/hooks/github/",                       405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),  # noqa: E501
    # -- API -------------------------------------------------------------------------------------
    R(A, "GET", "/api/v1/",                                           401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("api/v1/me/", "GET", "/api/v1/me/",                             401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("api/v1/auth/token/", "POST", "/api/v1/auth/token/",            200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, body={"username": "alice", "password": "pw-for-tests-123"}),  # noqa: E501
    R("api/v1/auth/token/", "GET", "/api/v1/auth/token/",             405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),  # noqa: E501
    R("api/schema/", "GET", "/api/schema/",                           401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R("api/docs/", "GET", "/api/docs/",                               401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^teams/$", "GET", "/api/v1/teams/",                        401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^teams/$", "POST", "/api/v1/teams/",                       401, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, body={"name": "x"}),  # noqa: E501
    R(A + "^teams/(?P<pk>[^/.]+)/$", "GET", "/api/v1/teams/{team}/",  401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^people/$", "GET", "/api/v1/people/",                      401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^people/$", "POST", "/api/v1/people/",                     401, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, body={"name": "x"}),  # noqa: E501
    R(A + "^people/(?P<pk>[^/.]+)/$", "GET", "/api/v1/people/{p_res}/", 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^memberships/$", "GET", "/api/v1/memberships/",            401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^memberships/(?P<pk>[^/.]+)/$", "GET", "/api/v1/memberships/{membership}/", 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^org-imports/$", "GET", "/api/v1/org-imports/",            401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^org-imports/$", "POST", "/api/v1/org-imports/",           401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 202, body="org-csv"),  # noqa: E501
    R(A + "^org-imports/export/$", "GET", "/api/v1/org-imports/export/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^org-imports/(?P<pk>[^/.]+)/$", "GET", "/api/v1/org-imports/{org}/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^projects/$", "GET", "/api/v1/projects/",                  401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^projects/$", "POST", "/api/v1/projects/",                 401, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, body={}),  # noqa: E501
    R(A + "^projects/register/$", "POST", "/api/v1/projects/register/", 401, 400, 400, 403, 403, 403, 403, 403, 403, 403, 403, 400, body={}),  # noqa: E501
    R(A + "^projects/register/$", "GET", "/api/v1/projects/register/", 401, 405, 405, 403, 403, 403, 403, 403, 403, 403, 403, 405),  # noqa: E501
    R(A + "^projects/registrable/$", "GET", "/api/v1/projects/registrable/", 401, 200, 400, 403, 403, 403, 403, 403, 403, 403, 403, 400),  # noqa: E501
    R(A + "^projects/(?P<pk>[^/.]+)/$", "GET", "/api/v1/projects/{internal}/", 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^projects/(?P<pk>[^/.]+)/$", "GET", "/api/v1/projects/{private}/", 401, 200, 404, 404, 404, 404, 404, 404, 200, 200, 404, 200),  # noqa: E501
    R(A + "^projects/(?P<pk>[^/.]+)/$", "PATCH", "/api/v1/projects/{internal}/", 401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, body={"summary": "new"}),  # noqa: E501
    R(A + "^projects/(?P<pk>[^/.]+)/$", "PATCH", "/api/v1/projects/{private}/", 401, 200, 404, 404, 404, 404, 404, 404, 403, 403, 404, 200, body={"summary": "new"}),  # noqa: E501
    R(A + "^projects/(?P<pk>[^/.]+)/$", "DELETE", "/api/v1/projects/{internal}/", 401, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),  # noqa: E501
    R(A + "^projects/(?P<pk>[^/.]+)/transfer/$", "POST", "/api/v1/projects/{internal}/transfer/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, body={"team": "{other_team}", "start": "{today}"}),  # noqa: E501
    R(A + "^disclosures/$", "GET", "/api/v1/disclosures/",            401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^disclosures/$", "POST", "/api/v1/disclosures/",           401, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201, body={**PLAN, "project": "{fresh}", "sha": "{sha}"}),  # noqa: E501
    R(A + "^disclosures/$", "POST", "/api/v1/disclosures/",           401, 409, 400, 400, 400, 400, 400, 400, 403, 403, 400, 409, body={**PLAN, "project": "{private}", "sha": "{sha}"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/$", "GET", "/api/v1/disclosures/{d}/", 401, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/$", "GET", "/api/v1/disclosures/{dp}/", 401, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/$", "DELETE", "/api/v1/disclosures/{d}/", 401, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/approve/$", "POST", "/api/v1/disclosures/{ds}/approve/", 401, 403, 404, 403, 403, 403, 403, 200, 403, 403, 404, 200, body=REV),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/approve/$", "GET", "/api/v1/disclosures/{ds}/approve/", 401, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/archive/$", "POST", "/api/v1/disclosures/{d}/archive/", 401, 409, 404, 403, 403, 403, 403, 409, 403, 409, 404, 409, body={"reason": "old"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/audit/$", "GET", "/api/v1/disclosures/{d}/audit/", 401, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/audit-csv/$", "GET", "/api/v1/disclosures/{d}/audit-csv/", 401, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/comment/$", "POST", "/api/v1/disclosures/{d}/comment/", 401, 201, 404, 201, 201, 201, 201, 201, 201, 201, 404, 201, body={"text": "hi"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/findings/$", "GET", "/api/v1/disclosures/{d}/findings/", 401, 200, 404, 200, 200, 200, 200, 200, 200, 200, 404, 200),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/patent-decision/$", "POST", "/api/v1/disclosures/{d}/patent-decision/", 401, 403, 404, 403, 403, 201, 403, 403, 403, 403, 404, 403, body={"patent": "{patent}", "decision": "cleared", "note": "ok"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/reject/$", "POST", "/api/v1/disclosures/{d}/reject/", 401, 403, 404, 403, 403, 403, 403, 200, 403, 403, 404, 200, body={"reason": "no"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/rescreen/$", "POST", "/api/v1/disclosures/{d}/rescreen/", 401, 202, 404, 202, 202, 202, 202, 202, 202, 202, 404, 202, body={}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/resubmit/$", "POST", "/api/v1/disclosures/{d}/resubmit/", 401, 409, 404, 403, 403, 403, 403, 403, 403, 403, 404, 409, body={"sha": "{sha}"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/send-back/$", "POST", "/api/v1/disclosures/{d}/send-back/", 401, 403, 404, 403, 200, 403, 403, 403, 403, 403, 404, 403, body={"lane": "security", **REV}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/sign-off/$", "POST", "/api/v1/disclosures/{d}/sign-off/", 401, 403, 404, 200, 403, 403, 403, 403, 403, 403, 404, 403, body={"lane": "legal"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/sign-off/$", "POST", "/api/v1/disclosures/{d}/sign-off/", 401, 403, 404, 403, 200, 403, 403, 403, 403, 403, 404, 403, body={"lane": "security"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/sign-off/$", "POST", "/api/v1/disclosures/{d}/sign-off/", 401, 403, 404, 403, 403, 200, 403, 403, 403, 403, 404, 403, body={"lane": "ip"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/sign-off/$", "POST", "/api/v1/disclosures/{d}/sign-off/", 401, 403, 404, 403, 403, 403, 200, 403, 403, 403, 404, 403, body={"lane": "export"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/waive/$", "POST", "/api/v1/disclosures/{d}/waive/", 401, 403, 404, 403, 201, 403, 403, 403, 403, 403, 404, 403, body={"finding": "{finding}", "lane": "security", "reason": "fine", "owner": "alice", "expires_on": "{later}"}),  # noqa: E501
    R(A + "^disclosures/(?P<pk>[^/.]+)/withdraw/$", "POST", "/api/v1/disclosures/{d}/withdraw/", 401, 200, 404, 403, 403, 403, 403, 403, 403, 403, 404, 200, body={"reason": "no"}),  # noqa: E501
    R(A + "^federation/runs/$", "GET", "/api/v1/federation/runs/",    401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^federation/runs/(?P<pk>[^/.]+)/$", "GET", "/api/v1/federation/runs/{run}/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^federation/mirrors/$", "GET", "/api/v1/federation/mirrors/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^federation/mirrors/(?P<pk>[^/.]+)/$", "GET", "/api/v1/federation/mirrors/{mirror}/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^federation/divergences/$", "GET", "/api/v1/federation/divergences/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^federation/divergences/(?P<pk>[^/.]+)/$", "GET", "/api/v1/federation/divergences/{div}/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200),  # noqa: E501
    R(A + "^federation/divergences/(?P<pk>[^/.]+)/decide/$", "POST", "/api/v1/federation/divergences/{div}/decide/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, body={"choice": "hold", "reason": "wait"}),  # noqa: E501
    R(A + "^federation/held/$", "GET", "/api/v1/federation/held/",    401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    R(A + "^federation/held/(?P<pk>[^/.]+)/$", "GET", "/api/v1/federation/held/{held}/", 401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 403, 200),  # noqa: E501
    R(A + "^federation/held/(?P<pk>[^/.]+)/dismiss/$", "POST", "/api/v1/federation/held/{held}/dismiss/", 401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 403, 200, body={"note": "stays in"}),  # noqa: E501
    R(A + "^scoring-policies/$", "GET", "/api/v1/scoring-policies/",  401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^scoring-policies/$", "POST", "/api/v1/scoring-policies/", 401, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, 405, body={}),  # noqa: E501
    R(A + "^scoring-policies/(?P<pk>[^/.]+)/$", "GET", "/api/v1/scoring-policies/{policy}/", 401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),  # noqa: E501
    R(A + "^leaderboards/(?P<pk>[^/.]+)/$", "GET", "/api/v1/leaderboards/person/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
    R(A + "^leaderboards/(?P<pk>[^/.]+)/$", "GET", "/api/v1/leaderboards/project/", 401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200),  # noqa: E501
]
# fmt: on

ADMIN_COVERED = {"admin/", "admin/login/"}


def url_patterns(patterns=None, prefix=""):
    """Every URL pattern of the project, spelled prefix + pattern."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def test_every_url_pattern_has_a_row():
    covered = {row.pattern for row in TABLE}
    missing = []
    for pattern in url_patterns():
        if pattern.startswith("admin/") and pattern not in ADMIN_COVERED:
            continue  # admin internals: the index, its login and a changelist have rows
        if pattern in covered:
            continue
        missing.append(pattern)
    assert not missing, f"URL patterns without a row in the authorization table: {missing}"


def test_the_table_names_only_real_patterns():
    real = set(url_patterns()) | {"admin/people/person/"}
    assert {row.pattern for row in TABLE} <= real


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory, localforge):
    """Built once for the module inside a transaction that is rolled back at the end; each
    request of the table runs in a savepoint that is rolled back too."""
    tmp = tmp_path_factory.mktemp("authz")
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        GIT_CACHE_DIR=str(tmp / "cache"),
        GITLAB_URL=localforge.gitlab_url,
        GITLAB_TOKEN=localforge.token,
        GITHUB_API_URL=localforge.github_url,
        GITHUB_TOKEN=localforge.token,
    )
    with overrides, django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            w = authz_world.build(tmp, localforge)
            _sign_in_everyone(w)
            yield w
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # sign-in and token throttles count per cache


def _client(world, role: str, api: bool):
    """A fresh client carrying the role's session (signed in once, in the module's transaction;
    a logout in a row is rolled back with the row)."""
    client = APIClient() if api else Client()
    if role in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def _sign_in_everyone(world) -> None:
    for role, user in world.users.items():
        signer = Client()
        signer.force_login(user)
        world.sessions[role] = signer.cookies[settings.SESSION_COOKIE_NAME].value


def _fill(world, body):
    if isinstance(body, dict):
        return {
            k: world.fmt(v) if isinstance(v, str) else v for k, v in body.items()
        }  # ids as strings: forms and serializers take them
    return body


def _request(world, row: Row, role: str, url: str):
    api = url.startswith("/api/")
    client = _client(world, role, api)
    method = getattr(client, row.method.lower())
    body = _fill(world, row.body)
    if body == "org-csv":
        upload = SimpleUploadedFile("org.csv", ORG_CSV.encode())
        return client.post(url, {"file": upload}, format="multipart")
    if row.method == "GET":
        return method(url)
    if api:
        return method(url, body or {}, format="json")
    return method(url, body or {})


def _has_error(request) -> bool:
    return any(m.level == messages.ERROR for m in messages.get_messages(request))


def _observed(response) -> object:
    if response.status_code == 302 and "/accounts/login/" in response.get("Location", ""):
        return LOGIN
    request = getattr(response, "wsgi_request", None)
    if response.status_code == 302 and request is not None and _has_error(request):
        return REFUSED
    return response.status_code


def _run(world, row: Row, url: str) -> list[str]:
    problems = []
    for role, expected in zip(ROLES, row.expect, strict=True):
        with transaction.atomic():
            got = _observed(_request(world, row, role, url))
            transaction.set_rollback(True)
        if got != expected:
            problems.append(f"{role}: expected {expected}, got {got}")
    return problems


@pytest.mark.parametrize("row", TABLE, ids=[r.id for r in TABLE])
def test_authorization_table(world, row):
    url = world.fmt(row.url)
    problems = _run(world, row, url)
    assert not problems, f"{row.id}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    "url", ["/api/v1/disclosures/{d}/audit.json", "/api/v1/leaderboards/person.json"]
)
def test_no_format_suffix_routes(world, url):
    """These answered 500 (the actions take no `format` argument); now there is no such route."""
    client = _client(world, "admin", api=True)
    assert client.get(world.fmt(url)).status_code == 404
    assert client.get(world.fmt(url.replace(".json", "/")), {"format": "json"}).status_code == 200


def test_manager_scope_switch(world):
    """Individual ranks: a manager sees only their own teams' people until an OSPO admin
    switches individual ranks on; then everyone signed in sees them. Only the admin may flip it."""
    own, other = world.fmt("/incentives/people/{p_oth}/"), world.fmt("/incentives/people/{p_res}/")
    mgr, oth = _client(world, "mgr", api=False), _client(world, "oth", api=False)
    with transaction.atomic():
        assert mgr.get(own).status_code == 200 and mgr.get(other).status_code == 403
        assert oth.get("/incentives/leaderboard/person/").status_code == 403
        switch = {"show_individual_ranks": "on"}
        assert mgr.post("/incentives/identities/", switch).status_code == 403
        assert mgr.get(other).status_code == 403  # the manager's try changed nothing
        admin = _client(world, "admin", api=False)
        assert admin.post("/incentives/identities/", switch).status_code == 302
        assert mgr.get(other).status_code == 200
        assert oth.get("/incentives/leaderboard/person/").status_code == 200
        assert (
            _client(world, "oth", api=True).get("/api/v1/leaderboards/person/").status_code == 200
        )
        transaction.set_rollback(True)
