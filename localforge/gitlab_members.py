"""GitLab members of groups and projects, direct (members) or inherited (members/all)."""

from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge.gitlab_api import find_user, need_user, paginate
from localforge.gitlab_groups import group_level, visible_group
from localforge.store import now_iso
from localforge.web import Response, Router

router = Router()


# --- members (groups and projects) --------------------------------------------------------


def members_list(app, req, source, row, inherited):
    store = app.store
    if inherited:
        best = m.inherited_members(store, source, row)
        rows = sorted(best.values(), key=lambda r: r["user_id"])
    else:
        rows = m.members_of(store, source, row["id"])
    query = (req.arg("query") or "").lower()
    out = []
    for member in rows:
        user = store.get("users", member["user_id"])
        if user and (
            not query or query in user["username"].lower() or query in user["name"].lower()
        ):
            out.append((user, member))
    user_ids = req.query.get("user_ids[]") or req.query.get("user_ids") or []
    if user_ids:
        wanted = {int(x) for v in user_ids for x in str(v).split(",") if x.strip().isdigit()}
        out = [(u, mm) for u, mm in out if u["id"] in wanted]
    return paginate(app, req, out, lambda pair: js.member(app.base, *pair))


def member_get(app, req, source, row, uid, inherited):
    if not str(uid).isdigit():
        raise m.not_found("Member")
    if inherited:
        member = m.inherited_members(app.store, source, row).get(int(uid))
    else:
        member = next(
            (x for x in m.members_of(app.store, source, row["id"]) if x["user_id"] == int(uid)),
            None,
        )
    user = app.store.get("users", int(uid))
    if member is None or user is None:
        raise m.not_found("Member")
    return js.member(app.base, user, member)


def member_add(app, req, source, row, own_level):
    need_user(req)
    if own_level < m.MAINTAINER:
        raise m.forbidden()
    data = m.params(req)
    level = m.as_int(data.get("access_level"), "access_level")
    if level > own_level:
        raise m.forbidden()
    ref = data.get("user_id") or data.get("username")
    if ref is None:
        raise m.bad_request("user_id is missing")
    results = []
    for one in str(ref).split(","):
        user = find_user(app, one.strip())
        member = m.add_member(app.store, source, row["id"], user["id"], level, by=req.user["id"])
        member["expires_at"] = data.get("expires_at")
        results.append(js.member(app.base, user, member))
    return Response(201, results[0])


def member_edit(app, req, source, row, uid, own_level):
    need_user(req)
    if own_level < m.MAINTAINER:
        raise m.forbidden()
    member = next(
        (x for x in m.members_of(app.store, source, row["id"]) if str(x["user_id"]) == uid), None
    )
    if member is None:
        raise m.not_found("Member")
    if req.method == "DELETE":
        app.store.delete("gl_members", member["id"])
        return Response(204)
    data = m.params(req)
    level = m.as_int(data.get("access_level"), "access_level")
    if level not in m.LEVELS or level > own_level:
        raise m.bad_request("access_level does not have a valid value")
    member["access_level"] = level
    member["expires_at"] = data.get("expires_at", member.get("expires_at"))
    member["updated_at"] = now_iso()
    return js.member(app.base, app.store.get("users", member["user_id"]), member)


_ALL = r"(?P<all>/all)?"


@router.route("GET", r"/groups/(?P<ref>[^/]+)/members" + _ALL)
def group_members(app, req, ref, all=None):  # noqa: A002
    return members_list(app, req, "group", visible_group(app, req, ref), bool(all))


@router.route("GET", r"/groups/(?P<ref>[^/]+)/members" + _ALL + r"/(?P<uid>[^/]+)")
def group_member(app, req, ref, uid, all=None):  # noqa: A002
    return member_get(app, req, "group", visible_group(app, req, ref), uid, bool(all))


@router.route("POST", r"/groups/(?P<ref>[^/]+)/members")
def group_member_add(app, req, ref):
    group = visible_group(app, req, ref)
    return member_add(app, req, "group", group, group_level(app, req, group))


@router.route("PUT", r"/groups/(?P<ref>[^/]+)/members/(?P<uid>\d+)")
@router.route("DELETE", r"/groups/(?P<ref>[^/]+)/members/(?P<uid>\d+)")
def group_member_edit(app, req, ref, uid):
    group = visible_group(app, req, ref)
    return member_edit(app, req, "group", group, uid, group_level(app, req, group))
