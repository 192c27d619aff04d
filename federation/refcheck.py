"""`ls-remote` for many repositories at once, for the reconcile job.

`git ls-remote` over smart HTTP is one request: `GET <repo>/info/refs?service=git-upload-pack`,
answered with the ref advertisement (pkt-lines). Reading that advertisement directly, over
pooled keep-alive connections, gives exactly what `git ls-remote --heads --tags` prints, minus
the two processes git starts per call (git and git-remote-http), which dominate when hundreds of
repositories are checked on a small machine. Same rules as federation.git: the URL must be a
configured forge (validate_remote_url), credentials go in a header (never the URL), no
redirects, a timeout on every call. Anything unexpected falls back to `repos.ls_remote`.
"""

from __future__ import annotations

import base64
import threading

import requests

from federation import repos
from federation.gitrefs import validate_remote_url

TIMEOUT = 30.0
ADVERTISEMENT = "application/x-git-upload-pack-advertisement"
_local = threading.local()


class AdvertisementError(Exception):
    pass


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.auth = lambda r: r  # never ~/.netrc; proxies and CA bundles still apply
        session.headers["User-Agent"] = "git/2 (osp-federation reconcile)"
        _local.session = session
    return session


def parse_advertisement(body: bytes) -> dict[str, str]:
    """{ref: sha} of the branches and tags in a v0 upload-pack advertisement."""
    refs: dict[str, str] = {}
    pos, size, seen_service = 0, len(body), False
    while pos + 4 <= size:
        try:
            length = int(body[pos : pos + 4], 16)
        except ValueError:
            raise AdvertisementError("not a pkt-line stream") from None
        if length == 0:  # flush
            pos += 4
            continue
        if length < 4 or pos + length > size:
            raise AdvertisementError("truncated pkt-line")
        line = body[pos + 4 : pos + length].rstrip(b"\n")
        pos += length
        if line.startswith(b"# service="):
            seen_service = True
            continue
        if line.startswith(b"version "):
            raise AdvertisementError("protocol v2 advertisement")
        ref_part = line.split(b"\0", 1)[0]
        sha, _, ref = ref_part.partition(b" ")
        name = ref.decode("utf-8", "replace")
        if name.endswith("^{}") or not name.startswith(("refs/heads/", "refs/tags/")):
            continue
        refs[name] = sha.decode()
    if not seen_service:
        raise AdvertisementError("no service announcement")
    return refs


def advertised_refs(url: str, credentials, *, timeout: float = TIMEOUT) -> dict[str, str]:
    """The refs `git ls-remote --heads --tags <url>` would list."""
    validate_remote_url(url)
    headers = {}
    if credentials is not None:
        raw = f"{credentials.username}:{credentials.token}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    try:
        response = _session().get(
            url.rstrip("/") + "/info/refs",
            params={"service": "git-upload-pack"},
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        )
        if response.status_code != 200 or not response.headers.get("Content-Type", "").startswith(
            ADVERTISEMENT
        ):
            raise AdvertisementError(f"HTTP {response.status_code}")
        return parse_advertisement(response.content)
    except (AdvertisementError, requests.RequestException):
        # Let git say what is wrong (auth, not found, network), with its typed errors.
        return repos.ls_remote(url, credentials, timeout=timeout)
