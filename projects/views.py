from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from config.permissions import RoleRequiredMixin
from people.models import Team
from people.roles import PERM_ADMIN, PERM_REGISTER
from projects import activity, panels, selectors, services
from projects.forms import ProjectDetailsForm, RegisterForm, TransferForm
from projects.models import Project

FILTERS = ("q", "team", "topic", "language", "license", "sharing", "sort")


def visible_project_or_404(user, pk) -> Project:
    try:
        return selectors.visible_projects(user).get(pk=pk)
    except Project.DoesNotExist:
        raise Http404(_("No such project, or it is private to its team.")) from None


class CatalogueView(LoginRequiredMixin, TemplateView):
    template_name = "projects/catalogue.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params = {k: self.request.GET.get(k, "").strip()[:100] for k in FILTERS}
        team = None
        if params["team"].isdigit():
            team = Team.objects.filter(pk=params["team"]).first()
        qs = selectors.catalogue(
            self.request.user,
            q=params["q"],
            team=team,
            topic=params["topic"],
            language=params["language"],
            license=params["license"],
            sharing=params["sharing"],
            sort=params["sort"] or "activity",
        )
        ctx.update(
            params=params,
            page=Paginator(qs.prefetch_related("ownerships__team"), 20).get_page(
                self.request.GET.get("page")
            ),
            facets=selectors.facets(selectors.visible_projects(self.request.user)),
            teams=Team.objects.exclude(path=""),
            sharing_choices=Project.Sharing.choices,
            sorts=selectors.SORTS,
            formula=activity.FORMULA,
            can_register=self.request.user.has_perm(PERM_REGISTER),
        )
        return ctx


class ProjectView(LoginRequiredMixin, TemplateView):
    template_name = "projects/project.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        project = visible_project_or_404(self.request.user, kwargs["pk"])
        ctx.update(
            project=project,
            owner=selectors.current_owner(project),
            ownerships=project.ownerships.select_related("team").order_by("-start"),
            panels=panels.render_context(project, self.request.user),
            can_edit=selectors.can_edit(self.request.user, project),
            can_transfer=self.request.user.has_perm(PERM_ADMIN),
            formula=activity.FORMULA,
        )
        return ctx


class ProjectEditView(LoginRequiredMixin, FormView):
    template_name = "projects/edit.html"
    form_class = ProjectDetailsForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.project = visible_project_or_404(request.user, kwargs["pk"])
        if not selectors.can_edit(request.user, self.project):
            raise PermissionDenied(_("Only the owner team's researchers and OSPO admins can edit."))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        p = self.project
        return {
            "summary": p.summary,
            "description": p.description,
            "topics": ", ".join(p.topics),
            "license": p.license,
            "contact": p.contact,
            "sharing": p.sharing,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(project=self.project, **kwargs)

    def form_valid(self, form):
        services.project_update(project=self.project, by=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Saved."))
        return redirect("projects:detail", pk=self.project.pk)


class TransferView(RoleRequiredMixin, FormView):
    permission_required = PERM_ADMIN
    template_name = "projects/transfer.html"
    form_class = TransferForm

    def dispatch(self, request, *args, **kwargs):
        self.project = get_object_or_404(Project, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(project=self.project, **kwargs)

    def form_valid(self, form):
        try:
            services.ownership_transfer(
                project=self.project, by=self.request.user, **form.cleaned_data
            )
        except services.RegistryError as exc:
            form.add_error("start", str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Ownership transferred."))
        return redirect("projects:detail", pk=self.project.pk)


class RegisterView(RoleRequiredMixin, FormView):
    """A researcher picks one of the GitLab projects they maintain and registers it."""

    permission_required = PERM_REGISTER
    template_name = "projects/register.html"
    form_class = RegisterForm

    def get_initial(self):
        from people.selectors import person_current_team

        initial = {"gitlab_project": self.request.GET.get("gitlab_project", "")}
        team = person_current_team(self.request.user)
        if team is not None:
            initial["team"] = team.pk
        return initial

    def get_context_data(self, **kwargs):
        from federation import registration

        ctx = super().get_context_data(**kwargs)
        try:
            ctx["candidates"] = registration.registrable_projects(self.request.user)
        except registration.RegistrationError as exc:
            ctx["candidates_error"] = str(exc)
        return ctx

    def form_valid(self, form):
        from federation import registration

        data = dict(form.cleaned_data)
        try:
            project, created = registration.register(
                user=self.request.user, gitlab_ref=data.pop("gitlab_project"), **data
            )
        except registration.RegistrationError as exc:
            form.add_error(exc.field or None, str(exc))
            return self.form_invalid(form)
        if created:
            messages.success(self.request, _("Registered. The first sync is on its way."))
        else:
            messages.info(self.request, _("This project was registered already."))
        return redirect("projects:detail", pk=project.pk)
