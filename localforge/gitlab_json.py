"""GitLab v4 JSON shapes (users, namespaces, groups, projects, members, commits, hooks)."""

from localforge import gitlab_model as m


def gl_date(iso_with_offset: str) -> str:
    """git's strict ISO date, with GitLab's milliseconds: 2024-01-02T03:04:05.000+01:00."""
    return iso_with_offset[:19] + ".000" + iso_with_offset[19:]


def user_basic(base: str, user: dict) -> dict:
    return {
        "id": user["id"],
        "username": user["username"],
        "name": user["name"],
        "state": "active",
        "locked": False,
        "avatar_url": None,
        "web_url": f"{base}/{user['username']}",
    }


def user_full(base: str, user: dict, viewer: dict | None) -> dict:
    data = user_basic(base, user)
    data.update(
        {
            "created_at": user["created_at"],
            "bio": "",
            "location": "",
            "public_email": None,
            "skype": "",
            "linkedin": "",
            "twitter": "",
            "discord": "",
            "website_url": "",
            "organization": "",
            "job_title": "",
            "pronouns": None,
            "bot": bool(user.get("bot")),
            "work_information": None,
            "followers": 0,
            "following": 0,
            "is_followed": False,
            "local_time": None,
        }
    )
    if viewer is not None and (viewer["id"] == user["id"] or viewer.get("is_admin")):
        data.update(
            {
                "last_sign_in_at": user["created_at"],
                "confirmed_at": user["created_at"],
                "last_activity_on": user["created_at"][:10],
                "email": user["email"],
                "theme_id": 1,
                "color_scheme_id": 1,
                "projects_limit": 100000,
                "current_sign_in_at": user["created_at"],
                "identities": [],
                "can_create_group": True,
                "can_create_project": True,
                "two_factor_enabled": False,
                "external": False,
                "private_profile": False,
                "commit_email": user["email"],
                "namespace_id": user.get("namespace_id"),
            }
        )
        if viewer.get("is_admin"):
            data["is_admin"] = bool(user.get("is_admin"))
    return data


def namespace(store, base: str, ns: dict) -> dict:
    path = m.full_path(store, ns)
    web = f"{base}/groups/{path}" if ns["kind"] == "group" else f"{base}/{path}"
    return {
        "id": ns["id"],
        "name": ns["name"],
        "path": ns["path"],
        "kind": ns["kind"],
        "full_path": path,
        "parent_id": ns.get("parent_id"),
        "avatar_url": None,
        "web_url": web,
    }


def group(store, base: str, g: dict) -> dict:
    path = m.full_path(store, g)
    return {
        "id": g["id"],
        "web_url": f"{base}/groups/{path}",
        "name": g["name"],
        "path": g["path"],
        "description": g.get("description") or "",
        "visibility": g.get("visibility", "private"),
        "share_with_group_lock": False,
        "require_two_factor_authentication": False,
        "two_factor_grace_period": 48,
        "project_creation_level": "maintainer",
        "auto_devops_enabled": None,
        "subgroup_creation_level": "maintainer",
        "emails_disabled": False,
        "emails_enabled": True,
        "mentions_disabled": None,
        "lfs_enabled": True,
        "default_branch": None,
        "default_branch_protection": 2,
        "avatar_url": None,
        "request_access_enabled": True,
        "full_name": m.full_name(store, g),
        "full_path": path,
        "created_at": g["created_at"],
        "parent_id": g.get("parent_id"),
        "organization_id": 1,
        "shared_runners_setting": "enabled",
        "ldap_cn": None,
        "ldap_access": None,
        "wiki_access_level": "enabled",
        "marked_for_deletion_on": None,
    }


def member(base: str, user: dict, row: dict) -> dict:
    data = user_basic(base, user)
    data.update(
        {
            "access_level": row["access_level"],
            "created_at": row["created_at"],
            "created_by": None,
            "expires_at": row.get("expires_at"),
            "membership_state": "active",
        }
    )
    return data


def _project_links(api: str, pid: int) -> dict:
    root = f"{api}/projects/{pid}"
    return {
        "self": root,
        "issues": f"{root}/issues",
        "merge_requests": f"{root}/merge_requests",
        "repo_branches": f"{root}/repository/branches",
        "labels": f"{root}/labels",
        "events": f"{root}/events",
        "members": f"{root}/members",
        "cluster_agents": f"{root}/cluster_agents",
    }


_ACCESS_LEVELS = [
    "analytics",
    "builds",
    "container_registry",
    "environments",
    "feature_flags",
    "forking",
    "infrastructure",
    "issues",
    "merge_requests",
    "model_experiments",
    "model_registry",
    "monitor",
    "releases",
    "repository",
    "requirements",
    "security_and_compliance",
    "snippets",
    "wiki",
]


def project(ctx, store, base: str, p: dict, viewer: dict | None, empty: bool) -> dict:
    ns = store.get("namespaces", p["namespace_id"])
    path = m.project_path(store, p)
    web = f"{base}/{path}"
    api = f"{base}/api/v4"
    host = base.split("://", 1)[-1].split(":")[0]
    data = {
        "id": p["id"],
        "description": p.get("description") or "",
        "description_html": f"<p>{p.get('description') or ''}</p>",
        "name": p["name"],
        "name_with_namespace": f"{m.full_name(store, ns)} / {p['name']}",
        "path": p["path"],
        "path_with_namespace": path,
        "created_at": p["created_at"],
        "updated_at": p.get("updated_at", p["created_at"]),
        "default_branch": p["default_branch"],
        "tag_list": list(p.get("topics", [])),
        "topics": list(p.get("topics", [])),
        "ssh_url_to_repo": f"git@{host}:{path}.git",
        "http_url_to_repo": f"{web}.git",
        "web_url": web,
        "readme_url": f"{web}/-/blob/{p['default_branch']}/{p['readme']}"
        if p.get("readme")
        else None,
        "forks_count": sum(
            1 for q in store.rows("gl_projects") if q.get("forked_from_id") == p["id"]
        ),
        "avatar_url": None,
        "star_count": 0,
        "last_activity_at": p.get("last_activity_at", p["created_at"]),
        "namespace": namespace(store, base, ns),
        "container_registry_image_prefix": f"registry.{host}/{path}",
        "_links": _project_links(api, p["id"]),
        "packages_enabled": True,
        "empty_repo": empty,
        "archived": bool(p.get("archived")),
        "visibility": p["visibility"],
        "resolve_outdated_diff_discussions": False,
        "issues_enabled": True,
        "merge_requests_enabled": True,
        "wiki_enabled": True,
        "jobs_enabled": True,
        "snippets_enabled": True,
        "container_registry_enabled": True,
        "service_desk_enabled": False,
        "can_create_merge_request_in": m.access(store, p, viewer) >= m.DEVELOPER,
        "emails_disabled": False,
        "emails_enabled": True,
        "shared_runners_enabled": True,
        "lfs_enabled": True,
        "creator_id": p["creator_id"],
        "import_url": None,
        "import_type": None,
        "import_status": "none",
        "import_error": None,
        "open_issues_count": 0,
        "ci_default_git_depth": 20,
        "ci_forward_deployment_enabled": True,
        "ci_forward_deployment_rollback_allowed": True,
        "ci_job_token_scope_enabled": False,
        "ci_separated_caches": True,
        "ci_allow_fork_pipelines_to_run_in_parent_project": True,
        "ci_config_path": "",
        "public_jobs": True,
        "build_git_strategy": "fetch",
        "build_timeout": 3600,
        "auto_cancel_pending_pipelines": "enabled",
        "shared_with_groups": [],
        "only_allow_merge_if_pipeline_succeeds": False,
        "allow_merge_on_skipped_pipeline": None,
        "request_access_enabled": True,
        "only_allow_merge_if_all_discussions_are_resolved": False,
        "remove_source_branch_after_merge": True,
        "printing_merge_request_link_enabled": True,
        "merge_method": "merge",
        "squash_option": "default_off",
        "enforce_auth_checks_on_uploads": True,
        "suggestion_commit_message": None,
        "merge_commit_template": None,
        "squash_commit_template": None,
        "issue_branch_template": None,
        "merge_requests_template": None,
        "issues_template": None,
        "autoclose_referenced_issues": True,
        "keep_latest_artifact": True,
        "runner_token_expiration_interval": None,
        "requirements_enabled": False,
        "security_and_compliance_enabled": False,
        "secret_push_protection_enabled": False,
        "compliance_frameworks": [],
        "repository_object_format": "sha1",
        "warn_about_potentially_unwanted_characters": True,
        "group_runners_enabled": True,
        "show_default_award_emojis": True,
        "mirror": False,
        "emails_enabled_for_project": True,
        "external_authorization_classification_label": "",
        "repository_storage": "default",
        "custom_attributes": [],
        "mr_default_target_self": False,
        "public": p["visibility"] == "public",
    }
    for name in _ACCESS_LEVELS:
        data[f"{name}_access_level"] = "enabled"
    data["pages_access_level"] = "private"
    if ns["kind"] == "user":
        owner = store.get("users", ns["owner_id"])
        if owner:
            data["owner"] = {**user_basic(base, owner), "created_at": owner["created_at"]}
    if p.get("forked_from_id"):
        parent = store.get("gl_projects", p["forked_from_id"])
        if parent is not None:
            data["forked_from_project"] = project_simple(store, base, parent)
    if viewer is not None:
        direct = m.direct_level(store, "project", p["id"], viewer["id"])
        via_group = m.group_level(store, ns, viewer) if ns["kind"] == "group" else 0
        data["permissions"] = {
            "project_access": {"access_level": direct, "notification_level": 3} if direct else None,
            "group_access": {"access_level": via_group, "notification_level": 3}
            if via_group
            else None,
        }
    return data


def project_simple(store, base: str, p: dict) -> dict:
    ns = store.get("namespaces", p["namespace_id"])
    path = m.project_path(store, p)
    return {
        "id": p["id"],
        "description": p.get("description") or "",
        "name": p["name"],
        "name_with_namespace": f"{m.full_name(store, ns)} / {p['name']}",
        "path": p["path"],
        "path_with_namespace": path,
        "created_at": p["created_at"],
        "default_branch": p["default_branch"],
        "tag_list": list(p.get("topics", [])),
        "topics": list(p.get("topics", [])),
        "ssh_url_to_repo": f"git@{base.split('://', 1)[-1].split(':')[0]}:{path}.git",
        "http_url_to_repo": f"{base}/{path}.git",
        "web_url": f"{base}/{path}",
        "readme_url": None,
        "forks_count": 0,
        "avatar_url": None,
        "star_count": 0,
        "last_activity_at": p.get("last_activity_at", p["created_at"]),
        "visibility": p["visibility"],
        "namespace": namespace(store, base, ns),
    }


def commit(base: str, path: str, c: dict, stats: bool = False) -> dict:
    message = c["message"]
    data = {
        "id": c["sha"],
        "short_id": c["sha"][:8],
        "created_at": gl_date(c["committer_date"]),
        "parent_ids": list(c["parents"]),
        "title": message.split("\n", 1)[0],
        "message": message,
        "author_name": c["author_name"],
        "author_email": c["author_email"],
        "authored_date": gl_date(c["author_date"]),
        "committer_name": c["committer_name"],
        "committer_email": c["committer_email"],
        "committed_date": gl_date(c["committer_date"]),
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{base}/{path}/-/commit/{c['sha']}",
    }
    if stats and "additions" in c:
        data["stats"] = {
            "additions": c["additions"],
            "deletions": c["deletions"],
            "total": c["additions"] + c["deletions"],
        }
    return data


def diff(entry: dict) -> dict:
    status = entry["status"]
    return {
        "diff": entry["patch"],
        "new_path": entry["new_path"],
        "old_path": entry["old_path"],
        "a_mode": None if status == "A" else entry["a_mode"],
        "b_mode": "0" if status == "D" else entry["b_mode"],
        "new_file": status == "A",
        "renamed_file": status == "R",
        "deleted_file": status == "D",
        "generated_file": False,
    }


def hook(h: dict) -> dict:
    data = {
        "id": h["id"],
        "url": h["url"],
        "name": h.get("name"),
        "description": h.get("description"),
        "project_id": h["project_id"],
        "created_at": h["created_at"],
        "alert_status": "executable",
        "disabled_until": None,
        "url_variables": [],
        "custom_webhook_template": None,
        "custom_headers": [],
        "repository_update_events": False,
    }
    for key in (
        "push_events",
        "tag_push_events",
        "merge_requests_events",
        "issues_events",
        "confidential_issues_events",
        "note_events",
        "confidential_note_events",
        "job_events",
        "pipeline_events",
        "wiki_page_events",
        "deployment_events",
        "releases_events",
        "feature_flag_events",
        "emoji_events",
        "resource_access_token_events",
    ):
        data[key] = bool(h.get(key, key == "push_events"))
    data["push_events_branch_filter"] = h.get("push_events_branch_filter") or ""
    data["branch_filter_strategy"] = "wildcard"
    data["enable_ssl_verification"] = bool(h.get("enable_ssl_verification", True))
    return data
