"""What the guides show besides their prose: the list of guides, the live license
compatibility table (the screening's own OSADL lookup) and the scoring policy in force."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "ko")


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str


GUIDES = (
    Guide("release", _("The release process"),
          _("States, review lanes, what each check looks for and how to fix each finding.")),
    Guide("licenses", _("Choosing a license"),
          _("Choosing an outbound license, and which licenses can go into which.")),
    Guide("repository", _("Preparing a repository"),
          _("Required files, and how to screen your repository yourself before asking.")),
    Guide("contributing", _("Contributing across teams"),
          _("Inner source: how cross-team contributions earn points, with the policy in force.")),
)  # fmt: skip
BY_SLUG = {g.slug: g for g in GUIDES}

# Licenses shown in the compatibility table: common outbound choices and common inbound code.
MATRIX_LICENSES = (
    "MIT",
    "BSD-3-Clause",
    "Apache-2.0",
    "MPL-2.0",
    "LGPL-2.1-only",
    "GPL-2.0-only",
    "GPL-3.0-only",
    "AGPL-3.0-only",
)


def guide_language() -> str:
    """The language of the guide's prose: the active UI language, English when we have none."""
    code = (get_language() or "en").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


@lru_cache(maxsize=1)
def license_matrix() -> list[tuple[str, list[tuple[str, str]]]]:
    """Rows (outbound, [(inbound, yes|no|unknown|undefined)]) from the screening's lookup."""
    from review.checks.license_detect import compatibility

    return [
        (out, [(inbound, compatibility([out], inbound)[0]) for inbound in MATRIX_LICENSES])
        for out in MATRIX_LICENSES
    ]


def policy_in_force():
    """The scoring policy version in force today, with its rules in words (English)."""
    from incentives.explain import policy_in_words
    from incentives.policies import PolicyBook

    book = PolicyBook()
    policy = book.current()
    return policy, policy_in_words(policy), len(book.policies)


def publishing_defaults() -> dict:
    from review.checks.config import ScreeningConfig

    config = ScreeningConfig()
    return {
        "excluded_paths": list(settings.FEDERATION_DEFAULT_EXCLUDED_PATHS),
        "size_limit_mb": config.size_limit // (1024 * 1024),
        "leak_hosts": list(config.leaks.host_globs),
        "leak_email_domains": list(config.leaks.email_domains),
    }
