"""The service's own forge errors. The adapters translate python-gitlab's and PyGithub's
exceptions into these; nothing above the adapters sees a library exception.

Messages carry the HTTP status and the forge's message, never a token.
"""

from __future__ import annotations

__all__ = [
    "TRANSIENT",
    "Conflict",
    "ForgeError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "PayloadError",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
]


class ForgeError(Exception):
    """A forge call failed. `status` is the HTTP status when there was one."""

    def __init__(self, message: str = "", *, status: int | None = None):
        super().__init__(message or self.__class__.__name__)
        self.status = status


class NotFound(ForgeError):
    """The object does not exist (or the token may not know that it does)."""


class Forbidden(ForgeError):
    """The token is valid but lacks the rights for this call."""


class Unauthorized(ForgeError):
    """The token is missing, wrong, expired or revoked."""


class Conflict(ForgeError):
    """The object already exists or is in a state that forbids the change."""


class Invalid(ForgeError):
    """The forge refused the request's content (400/422 validation errors)."""


class Unavailable(ForgeError):
    """The forge is down or failing (5xx, connection errors, timeouts): try later."""


class RateLimited(ForgeError):
    """Rate limited: try again after `retry_after` seconds. Not a loss of access."""

    def __init__(self, message: str = "", *, retry_after: float, status: int | None = None):
        super().__init__(message or f"rate limited; retry after {retry_after:.0f}s", status=status)
        self.retry_after = float(retry_after)


class PayloadError(ValueError):
    """A webhook payload that does not have the shape we need."""


# What a Celery task should retry (autoretry_for=TRANSIENT): the rest will not get better.
TRANSIENT = (RateLimited, Unavailable)
