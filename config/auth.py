"""Sign-in: allauth adapter (closed sign-up by default) and helpers linking users to people."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.http import Http404


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION


class ForgeSignInNotConfigured(SocialApp.DoesNotExist, Http404):
    """No OAuth app for this forge: callers that expect DoesNotExist still get it, and a request
    to /accounts/<forge>/login/ answers 404 instead of a 500."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ForgeSignInNotConfigured(f"Sign-in with {provider} is not configured.") from None
