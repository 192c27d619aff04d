"""Role checks for the API (DRF) and for pages; every write is guarded by the role that may do it."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from rest_framework.permissions import BasePermission


def HasPerm(perm: str):  # noqa: N802 - reads like a class in permission_classes lists
    """DRF permission class requiring an authenticated user holding `perm`."""

    class _HasPerm(BasePermission):
        message = f"This needs the permission {perm}."

        def has_permission(self, request, view):
            return bool(
                request.user and request.user.is_authenticated and request.user.has_perm(perm)
            )

    _HasPerm.__name__ = f"HasPerm[{perm}]"
    return _HasPerm


class RoleRequiredMixin(PermissionRequiredMixin):
    """Pages: anonymous users go to sign-in; signed-in users without the role get a 403 page."""

    raise_exception = False

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            self.raise_exception = True
        return super().handle_no_permission()
