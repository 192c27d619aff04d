"""API viewsets of the projects app; config/api.py calls register(router)."""


def register(router) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
