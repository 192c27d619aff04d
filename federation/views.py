"""Pages of the federation app (OSPO admins): the health page, a project's sync history, and
the decisions on divergences and held deltas. Every write goes through a service."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from config.permissions import RoleRequiredMixin
from federation import divergence, health, held
from federation.models import Divergence, HeldDelta, Mirror, SyncRun
from people.roles import PERM_ADMIN, PERM_REVIEW
from projects.models import Project


class HealthView(RoleRequiredMixin, TemplateView):
    permission_required = PERM_ADMIN
    template_name = "federation/health.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = health.project_health()
        ctx.update(
            rows=rows,
            failing=[r for r in rows if r.failing],
            failing_runs=health.failing_runs(),
            stuck=health.runs_stuck().select_related("project"),
            stuck_minutes=health.stuck_minutes(),
            divergences=health.divergences_open(),
            held=health.held_open(),
            recent=SyncRun.objects.select_related("project")[:30],
        )
        return ctx


class ProjectRunsView(RoleRequiredMixin, TemplateView):
    permission_required = PERM_ADMIN
    template_name = "federation/runs.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        project = get_object_or_404(Project, pk=self.kwargs["pk"])
        ctx.update(
            project=project,
            mirror=Mirror.objects.filter(project=project).first(),
            runs=SyncRun.objects.filter(project=project)[:200],
        )
        return ctx


class DivergenceDecisionView(RoleRequiredMixin, View):
    """POST choice=hold|overwrite|import (+ reason)."""

    permission_required = PERM_ADMIN

    def post(self, request, pk):
        d = get_object_or_404(Divergence, pk=pk)
        choice = request.POST.get("choice", "")
        reason = request.POST.get("reason", "")
        try:
            if choice == "hold":
                divergence.divergence_hold(divergence=d, by=request.user, reason=reason)
            elif choice == "overwrite":
                divergence.divergence_overwrite(divergence=d, by=request.user, reason=reason)
            elif choice == "import":
                divergence.divergence_import(divergence=d, by=request.user)
            else:
                raise divergence.DivergenceError(_("Choose hold, overwrite or import."))
        except divergence.DivergenceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Divergence #%(pk)s: %(choice)s recorded.") % {"pk": d.pk, "choice": choice},
            )
        return redirect("federation:health")


class HeldDismissView(RoleRequiredMixin, View):
    permission_required = PERM_REVIEW

    def post(self, request, pk):
        item = get_object_or_404(HeldDelta, pk=pk)
        try:
            held.held_delta_dismiss(held=item, by=request.user, note=request.POST.get("note", ""))
        except held.HeldError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The held commits stay inside."))
        if request.user.has_perm(PERM_ADMIN):
            return redirect("federation:health")
        return redirect("projects:detail", pk=item.project_id)
