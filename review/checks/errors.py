"""Typed errors of the screening engine."""


class ScreeningError(Exception):
    """Base class: the screening could not run (as opposed to: it ran and found problems)."""


class RepositoryUnreadable(ScreeningError):
    """The repository or the commit cannot be read. ``reason`` says why (git's own words)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidLicense(ScreeningError):
    """The outbound license is not a valid SPDX license expression."""

    def __init__(self, expression: str, reason: str):
        super().__init__(f"invalid SPDX license expression {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason


class InvalidConfig(ScreeningError):
    """A screening option (mode, denylist pattern, patent record...) is malformed."""
