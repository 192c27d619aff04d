"""Sign-in: allauth adapter (closed sign-up by default) and helpers linking users to people."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION
