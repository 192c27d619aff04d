from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views.generic import TemplateView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "home.html"


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (rate limited)."""

    # DRF's ObtainAuthToken sets throttle_classes = (), which would drop the default: name it.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"


def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
