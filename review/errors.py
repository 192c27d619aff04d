"""Errors of the review workflow, each with a message for people.

Views show the message; the API maps NotAllowed to 403, WrongState to 409 and InvalidInput to 400.
"""


class WorkflowError(Exception):
    """A review action that cannot be taken."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return self.message


class NotAllowed(WorkflowError):
    """The actor lacks the role, the lane, or has a conflict of interest."""


class WrongState(WorkflowError):
    """The disclosure is not in a state where this may happen (or it is not its turn yet)."""


class InvalidInput(WorkflowError):
    """A value was refused (sha, license, repository name...)."""
