from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, TemplateView

from people import selectors
from people.models import Person, Team


class DirectoryView(LoginRequiredMixin, TemplateView):
    template_name = "people/directory.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        q = self.request.GET.get("q", "").strip()[:100]
        team = None
        if team_id := self.request.GET.get("team", "").strip():
            team = get_object_or_404(Team, pk=team_id) if team_id.isdigit() else None
        people = Paginator(selectors.people_directory(search=q, team=team), 50)
        ctx.update(
            q=q,
            team=team,
            teams=selectors.team_tree(),
            page=people.get_page(self.request.GET.get("page")),
        )
        return ctx


class PersonView(LoginRequiredMixin, DetailView):
    template_name = "people/person.html"
    context_object_name = "person"

    def get_queryset(self):
        return Person.objects.prefetch_related("identities", "memberships__team")
