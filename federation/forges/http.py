"""The retry policy shared by both adapters, as a urllib3 `Retry` (PyGithub takes it as `retry=`,
python-gitlab gets it through the requests session we hand it).

- 429, and 403 that carries rate-limit headers, are retried for every method after the wait the
  forge asks for (`Retry-After`, else the rate-limit reset time, else exponential backoff).
- 500/502/503/504 are retried with backoff for idempotent methods only (a POST that hit a 502 may
  have been applied).
- Connection failures are retried; read timeouts are not.
- A wait longer than `max_wait` is never slept: RateLimited(retry_after) is raised at once, so a
  Celery task can retry later instead of blocking a worker for an hour. The same happens when
  the retries run out on a rate limit. Exhausted 5xx come back to the library as a response and
  become Unavailable.
"""

from __future__ import annotations

import email.utils
import functools
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from federation.forges.errors import (
    Conflict,
    Forbidden,
    ForgeError,
    Invalid,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "ForgeRetry",
    "rate_limit_wait",
    "retrying_session",
    "settings_kwargs",
    "status_error",
    "translating",
]

DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_WAIT = 60.0
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return None if value is None else str(value).strip()


def _retry_after_seconds(value: str) -> float | None:
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def rate_limit_wait(status: int, headers: Mapping[str, Any] | None) -> float | None:
    """Seconds the forge asks us to wait, if this response is a rate limit; else None.

    429 is always a rate limit; 403 only with `Retry-After` or an exhausted
    `X-RateLimit-Remaining` (GitHub) / `RateLimit-Remaining` (GitLab). When the response does
    not say how long, 0.0 is returned (the caller's backoff decides).
    """
    if status not in (403, 429):
        return None
    retry_after = _header(headers, "Retry-After")
    if retry_after is not None:
        seconds = _retry_after_seconds(retry_after)
        if seconds is not None:
            return seconds
    for prefix in ("X-RateLimit-", "RateLimit-"):
        if _header(headers, prefix + "Remaining") == "0":
            reset = _header(headers, prefix + "Reset")
            if reset and reset.isdigit():
                return max(0.0, int(reset) - time.time()) + 1.0
            return 0.0
    return 0.0 if status == 429 else None


class ForgeRetry(Retry):
    """urllib3 Retry with the policy above. `sleep` is injectable for tests."""

    def __init__(
        self,
        total: int | None = DEFAULT_MAX_RETRIES,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        next_wait: float | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("read", 0)
        kwargs.setdefault("redirect", 0)
        kwargs.setdefault("backoff_factor", 0.5)
        kwargs.setdefault("backoff_max", max_wait)
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("respect_retry_after_header", True)
        super().__init__(total=total, **kwargs)
        self.max_wait = max_wait
        self._sleep_fn = sleep
        self._next_wait = next_wait

    def new(self, **kw: Any) -> ForgeRetry:
        kw.setdefault("max_wait", self.max_wait)
        kw.setdefault("sleep", self._sleep_fn)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if self.total is False:
            return False
        if status_code in (403, 429):
            return True  # increment() tells a rate-limit 403 from a real one
        return status_code in TRANSIENT_STATUSES and self._is_method_retryable(method)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        wait = None
        if response is not None and response.status in (403, 429):
            wait = rate_limit_wait(response.status, response.headers)
            if wait is None:  # an ordinary 403: hand it back to the library
                raise MaxRetryError(_pool, url, "forbidden")
            if wait > self.max_wait:
                response.drain_conn()
                raise RateLimited(retry_after=wait, status=response.status)
        try:
            new = super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError:
            if wait is not None:
                response.drain_conn()
                raise RateLimited(retry_after=max(wait, 1.0), status=response.status) from None
            raise
        if wait is not None:
            new._next_wait = max(wait, new.get_backoff_time())
        elif response is not None:
            retry_after = _header(response.headers, "Retry-After")
            seconds = _retry_after_seconds(retry_after) if retry_after else None
            if seconds is not None:  # a floor, never below our own backoff
                new._next_wait = min(max(seconds, new.get_backoff_time()), self.max_wait)
        return new

    def get_backoff_time(self) -> float:
        """backoff_factor * 2^(n-1) after the n-th failure, also before the first retry."""
        if not self.history:
            return 0.0
        return min(self.backoff_max, self.backoff_factor * 2 ** (len(self.history) - 1))

    def sleep(self, response: Any = None) -> None:
        wait = self._next_wait if self._next_wait is not None else self.get_backoff_time()
        if wait > 0:
            self._sleep_fn(min(wait, self.max_wait))


class SameOriginSession(requests.Session):
    """A session that follows a redirect only within the origin it was sent to. A redirect to
    another scheme, host or port is not followed: the 3xx comes back to the library as an error,
    and the token (python-gitlab's PRIVATE-TOKEN header, which requests does not strip) never
    leaves for the other host."""

    def get_redirect_target(self, resp):
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        here, there = urlsplit(resp.url), urlsplit(urljoin(resp.url, target))
        if _origin(here) != _origin(there):
            return None
        return target


def _origin(parts) -> tuple[str, str, int]:
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def retrying_session(retry: ForgeRetry, *, pool_size: int = 10) -> requests.Session:
    """A requests session whose every request goes through `retry` (same-origin redirects
    only)."""
    session = SameOriginSession()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.auth = _no_auth  # never fall back to ~/.netrc; proxies and CA bundles still apply
    return session


def _no_auth(request):
    return request


def translating(translate: Callable[[Exception], Exception | None]):
    """Decorator: exceptions for which `translate` returns a ForgeError are re-raised as it."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except ForgeError:
                raise
            except Exception as exc:
                translated = translate(exc)
                if translated is None:
                    raise
                raise translated from exc

        return wrapper

    return decorate


def status_error(status: int | None, message: str, headers=None) -> ForgeError:
    """The ForgeError for an HTTP status (shared by both adapters)."""
    text = f"{status}: {message}" if status else message
    lowered = message.lower()
    if status == 401:
        return Unauthorized(text, status=status)
    if status in (403, 429):
        wait = rate_limit_wait(status, headers or {})
        if wait is not None or "rate limit" in lowered:
            return RateLimited(text, retry_after=max(wait or 0.0, 1.0), status=status)
        return Forbidden(text, status=status)
    if status == 404:
        return NotFound(text, status=status)
    if status in (405, 406, 409) or (status in (400, 422) and "already" in lowered):
        return Conflict(text, status=status)
    if status in (400, 422):
        return Invalid(text, status=status)
    if status is None or status >= 500:
        return Unavailable(text, status=status)
    return ForgeError(text, status=status)


def settings_kwargs(settings) -> dict[str, Any]:
    """Timeout and retry options for an adapter, from settings (FORGE_TIMEOUT,
    FORGE_MAX_RETRIES, FORGE_MAX_RETRY_WAIT)."""
    return {
        "timeout": float(getattr(settings, "FORGE_TIMEOUT", 30.0)),
        "max_retries": int(getattr(settings, "FORGE_MAX_RETRIES", DEFAULT_MAX_RETRIES)),
        "max_wait": float(getattr(settings, "FORGE_MAX_RETRY_WAIT", DEFAULT_MAX_WAIT)),
    }
