"""The guide pages: one template per language for the prose (guides/<lang>/<slug>.html)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import TemplateView

from guides import selectors


class GuideIndexView(LoginRequiredMixin, TemplateView):
    template_name = "guides/index.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "guides": selectors.GUIDES}


class GuideView(LoginRequiredMixin, TemplateView):
    def get_template_names(self):
        return [f"guides/{selectors.guide_language()}/{self.kwargs['slug']}.html"]

    def get_context_data(self, **kwargs):
        slug = self.kwargs["slug"]
        guide = selectors.BY_SLUG.get(slug)
        if guide is None:
            raise Http404("No such guide.")
        ctx = {**super().get_context_data(**kwargs), "guide": guide, "guides": selectors.GUIDES}
        if slug == "licenses":
            ctx["matrix"] = selectors.license_matrix()
            ctx["matrix_licenses"] = selectors.MATRIX_LICENSES
        if slug in ("release", "repository"):
            ctx["defaults"] = selectors.publishing_defaults()
        if slug == "contributing":
            ctx["policy"], ctx["policy_words"], ctx["policy_versions"] = selectors.policy_in_force()
        return ctx
