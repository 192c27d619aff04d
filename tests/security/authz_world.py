"""The world the authorization table runs in: one user per role, the owner team's projects
(internal and private), disclosures in review, federation records and incentive awards.

Roles (the table's columns):
  anon      nobody signed in
  res       researcher of the owner team (AI Research/Vision Lab), author of the history
  oth       researcher of another team (Physics/Optics)
  legal, security, ip, export
            committee members of Legal/Office, each assigned to that one lane
  chair     committee chair of Legal/Office
  own_rev   committee member of the owner team, assigned to every lane (conflict)
  own_chair committee chair of the owner team (conflict)
  mgr       manager of Physics (sees individual ranks of Physics/* only)
  admin     OSPO admin (staff)
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from federation.models import Divergence, HeldDelta, Mirror, SyncRun
from incentives.models import ScoringPolicy
from people import services as people_services
from people.models import Identity, OrgImport
from people.roles import COMMITTEE_CHAIR, COMMITTEE_MEMBER, MANAGER, OSPO_ADMIN, RESEARCHER
from projects.models import Project
from review import services
from review.models import Patent, PatentLink
from tests.factories import ProjectFactory
from tests.incentives.factories import AwardFactory
from tests.review.workflow_fixtures import (
    AUTHOR,
    CLEAN_FILES,
    PLAN,
    FakeFinding,
    WorkRepo,
    assign,
    finish_screening,
    make_user,
)

ROLES = (
    "anon",
    "res",
    "oth",
    "legal",
    "security",
    "ip",
    "export",
    "chair",
    "own_rev",
    "own_chair",
    "mgr",
    "admin",
)
LANE_ROLES = ("legal", "security", "ip", "export")


@dataclass
class AuthzWorld:
    users: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    sha: str = ""
    sessions: dict = field(default_factory=dict)  # role -> session key

    def fmt(self, template: str) -> str:
        return template.format(**self.ids, sha=self.sha)


def _project(owner, name, repo: WorkRepo, **kwargs) -> Project:
    project = ProjectFactory(
        owner=owner, name=name, license="Apache-2.0", key=f"k{secrets.token_hex(8)}", **kwargs
    )
    repo.publish(project)
    return project


def build(tmp_path, localforge=None) -> AuthzWorld:
    w = AuthzWorld()
    owner = people_services.team_ensure_path(path="AI Research/Vision Lab")
    other = people_services.team_ensure_path(path="Physics/Optics")
    office = people_services.team_ensure_path(path="Legal/Office")
    physics = other.parent
    u = w.users
    u["res"] = make_user("alice", [RESEARCHER], owner, email=AUTHOR)
    gitlab_name = "alice"
    if localforge is not None:  # the researcher exists on GitLab (registrable projects)
        gitlab_name = localforge.unique("alice")
        localforge.create_user(gitlab_name)
    Identity.objects.create(person=u["res"].person, kind=Identity.Kind.GITLAB, value=gitlab_name)
    u["oth"] = make_user("olga", [RESEARCHER], other)
    for lane in LANE_ROLES:
        u[lane] = make_user(f"rev-{lane}", [COMMITTEE_MEMBER], office)
        assign(u[lane], lane)
    u["chair"] = make_user("chair", [COMMITTEE_CHAIR], office)
    u["own_rev"] = make_user("tina", [COMMITTEE_MEMBER], owner)
    assign(u["own_rev"], *LANE_ROLES)
    u["own_chair"] = make_user("otto", [COMMITTEE_CHAIR], owner)
    u["mgr"] = make_user("mona", [MANAGER], physics)
    u["admin"] = make_user("root", [OSPO_ADMIN], office)
    get_user_model().objects.filter(pk=u["admin"].pk).update(is_staff=True)

    repo = WorkRepo(tmp_path / "work")
    w.sha = repo.commit(CLEAN_FILES, message="first")
    internal = _project(owner, "demo", repo)
    private = _project(owner, "secret", repo, sharing=Project.Sharing.PRIVATE)
    fresh = _project(owner, "fresh", repo)  # no disclosure yet: for requests
    signed_p = _project(owner, "ready", repo)

    # In review, with one (non-blocking) finding to waive and one patent for the IP lane.
    d = services.disclosure_request(project=internal, by=u["res"], sha=w.sha, **PLAN)
    finish_screening(d, [FakeFinding(severity="warning", fingerprint="fp-warn")])
    patent = Patent.objects.create(number="EP-1", title="Vision")
    PatentLink.objects.create(patent=patent, project=internal)
    # In review on the private project; and one with every lane signed off (the chair approves).
    dp = services.disclosure_request(
        project=private, by=u["res"], sha=w.sha, **{**PLAN, "target_repo": "secret"}
    )
    finish_screening(dp)
    ds = services.disclosure_request(
        project=signed_p, by=u["res"], sha=w.sha, **{**PLAN, "target_repo": "ready"}
    )
    finish_screening(ds)
    for lane in LANE_ROLES:
        services.disclosure_lane_sign_off(disclosure=ds, lane=lane, by=u[lane])

    run = SyncRun.objects.create(project=internal, trigger="test")
    mirror = Mirror.objects.create(project=internal, disclosure=d, github_path="osp/demo")
    div = Divergence.objects.create(
        project=internal,
        kind=Divergence.Kind.PUBLIC_PUSH,
        ref="refs/heads/main",
        public_sha="a" * 40,
        expected_sha="b" * 40,
        internal_sha=w.sha,
    )
    held = HeldDelta.objects.create(project=internal, from_sha="c" * 40, to_sha=w.sha)
    org = OrgImport.objects.create(filename="org.csv")
    # Awards: one for the owner team's researcher, one for an Optics researcher.
    day = timezone.localdate() - dt.timedelta(days=1)
    award_res = AwardFactory(person=u["res"].person, project=internal, landed_on=day)
    award_oth = AwardFactory(person=u["oth"].person, project=internal, landed_on=day)
    policy = ScoringPolicy.objects.order_by("pk").first() or award_res.policy

    w.ids.update(
        internal=internal.pk,
        private=private.pk,
        fresh=fresh.pk,
        internal_key=internal.key,
        d=d.pk,
        dp=dp.pk,
        ds=ds.pk,
        finding=d.screenings.latest("pk").findings.get().pk,
        patent=patent.pk,
        run=run.pk,
        mirror=mirror.pk,
        div=div.pk,
        held=held.pk,
        org=org.pk,
        owner_team=owner.pk,
        other_team=other.pk,
        p_res=u["res"].person.pk,
        p_oth=u["oth"].person.pk,
        award_res=award_res.pk,
        award_oth=award_oth.pk,
        policy=policy.pk,
        team=owner.pk,
        membership=u["res"].person.memberships.get().pk,
        today=timezone.localdate().isoformat(),
        later=(timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        res_user=u["res"].pk,
    )
    return w
