"""Reading and writing the org CSV (`email,name,team_path,start,end,gitlab_username,github_login`).

Parsing only: every row is validated on its own here; checks against the database and across
rows live in `people.services.org_import`.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

COLUMNS = ["email", "name", "team_path", "start", "end", "gitlab_username", "github_login"]
# GitLab usernames: letters, digits, '_', '-', '.'; GitHub logins: letters, digits, single '-'.
GITLAB_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
TEAM_SEGMENT = re.compile(r"^[^/\x00-\x1f]{1,120}$")
# The longest value each column may hold (the database columns: Person.email/name, Team.path,
# Identity.value); a longer one is a row error, not a database error.
MAX_LENGTH = {"email": 254, "name": 200, "team_path": 500, "gitlab_username": 254}


@dataclass(frozen=True)
class OrgRow:
    line: int
    email: str
    name: str
    team_path: str
    start: dt.date
    end: dt.date | None
    gitlab_username: str
    github_login: str


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


class OrgImportError(Exception):
    """Raised with every row error; nothing was saved."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]))


def _date(value: str, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a date in YYYY-MM-DD form") from None


def normalise_team_path(path: str) -> str:
    parts = [p.strip() for p in path.strip().strip("/").split("/")]
    if not path.strip() or any(not TEAM_SEGMENT.match(p) for p in parts):
        raise ValueError(f"team_path {path!r} must be names separated by '/', like 'Division/Team'")
    return "/".join(parts)


def _row(line: int, raw: dict) -> OrgRow:
    values = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    for column, value in values.items():
        if "\x00" in value:
            raise ValueError(f"{column} contains a NUL character")
        if len(value) > MAX_LENGTH.get(column, 254):
            raise ValueError(f"{column} is longer than {MAX_LENGTH.get(column, 254)} characters")
    email = values["email"].lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"email {values['email']!r} is not a valid address") from None
    if not values["name"]:
        raise ValueError("name is empty")
    start = _date(values["start"], "start")
    end = _date(values["end"], "end") if values["end"] else None
    if end is not None and end < start:
        raise ValueError(f"end {end} is before start {start}")
    gitlab, github = values["gitlab_username"].lower(), values["github_login"].lower()
    if gitlab and not GITLAB_USERNAME.match(gitlab):
        raise ValueError(f"gitlab_username {gitlab!r} is not a valid GitLab username")
    if github and not GITHUB_LOGIN.match(github):
        raise ValueError(f"github_login {github!r} is not a valid GitHub login")
    return OrgRow(
        line=line,
        email=email,
        name=values["name"],
        team_path=normalise_team_path(values["team_path"]),
        start=start,
        end=end,
        gitlab_username=gitlab,
        github_login=github,
    )


def parse(text: str) -> tuple[list[OrgRow], list[RowError]]:
    """Parse CSV text into rows; returns (rows, errors). Line numbers count the header as 1."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:  # PostgreSQL cannot store NUL in text: refuse it here, not mid-import
        return [], [RowError(text.count("\n", 0, text.index("\x00")) + 1, "NUL byte in the file")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [RowError(1, f"header is missing column(s): {', '.join(missing)}")]
    reader.fieldnames = header
    rows, errors = [], []
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw:
                errors.append(RowError(line, "row has more fields than the header"))
                continue
            if not any((v or "").strip() for v in raw.values()):
                continue
            try:
                rows.append(_row(line, raw))
            except ValueError as exc:
                errors.append(RowError(line, str(exc)))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, f"malformed CSV: {exc}"))
    return rows, errors


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OrgImportError([RowError(1, f"file is not UTF-8 text ({exc.reason})")]) from None


def render(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
