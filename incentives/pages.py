"""Pages explaining points (a person's ledger, one award), the policy, and identity merges."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from config.permissions import RoleRequiredMixin
from incentives import exports, selectors
from incentives.explain import award_in_words, policy_in_words
from incentives.identities import (
    IdentityMergeError,
    identity_merge_accept,
    identity_merge_reject,
    identity_merge_suggestions,
)
from incentives.models import Award, IncentiveSettings
from incentives.periods import PeriodError, period_from_params
from incentives.policies import PolicyBook
from incentives.visibility import can_see_person, scope_for
from people.models import Identity, Person
from people.roles import PERM_ADMIN


class PersonPointsView(LoginRequiredMixin, View):
    """Every ledger row of one person, with its factors."""

    template_name = "incentives/person.html"

    def get(self, request, pk: int):
        person = get_object_or_404(Person, pk=pk)
        scope = scope_for(request.user)
        if not can_see_person(scope, person):
            raise PermissionDenied(_("You cannot see this person's points."))
        since = until = period = None
        if request.GET.get("period") or request.GET.get("since"):
            try:
                period = period_from_params(request.GET)
                since, until = period.start, period.end
            except PeriodError as exc:
                messages.error(request, str(exc))
        awards = selectors.person_awards(person, since=since, until=until)
        if request.GET.get("format") == "csv":
            return exports.awards_csv(person, awards)
        ctx = {
            "person": person,
            "period": period,
            "totals": selectors.person_totals(person, since=since, until=until),
            "page": Paginator(awards, 50).get_page(request.GET.get("page")),
            "own": scope.person is not None and scope.person.pk == person.pk,
        }
        return render(request, self.template_name, ctx)


class MyPointsView(LoginRequiredMixin, View):
    def get(self, request):
        scope = scope_for(request.user)
        if scope.person is None:
            return render(request, "incentives/no_person.html", status=404)
        return redirect("incentives:person", pk=scope.person.pk)


class AwardDetailView(LoginRequiredMixin, View):
    template_name = "incentives/award.html"

    def get(self, request, pk: int):
        award = get_object_or_404(
            Award.objects.select_related(
                "person", "change", "project", "policy", "from_team", "to_team"
            ),
            pk=pk,
        )
        if not can_see_person(scope_for(request.user), award.person):
            raise PermissionDenied(_("You cannot see this person's points."))
        ledger = (
            award.change.awards.filter(person=award.person).select_related("policy").order_by("id")
        )
        ctx = {
            "award": award,
            "words": award_in_words(award),
            "ledger": ledger,
            "change": award.change,
        }
        return render(request, self.template_name, ctx)


class PolicyView(LoginRequiredMixin, View):
    template_name = "incentives/policy.html"

    def get(self, request):
        book = PolicyBook()
        current = book.current()
        versions = [(p, policy_in_words(p), p == current) for p in reversed(book.policies)]
        return render(request, self.template_name, {"versions": versions, "current": current})


class IdentityMergesView(RoleRequiredMixin, View):
    """OSPO admins review suggested identity merges; nothing is merged until accepted."""

    permission_required = PERM_ADMIN
    template_name = "incentives/identities.html"

    def get(self, request):
        if request.GET.get("format") == "csv":
            return exports.identities_csv(identity_merge_suggestions())
        ctx = {
            "suggestions": identity_merge_suggestions(),
            "settings": IncentiveSettings.load(),
        }
        return render(request, self.template_name, ctx)

    def post(self, request):
        if "show_individual_ranks" in request.POST:
            obj = IncentiveSettings.load()
            obj.show_individual_ranks = request.POST["show_individual_ranks"] == "on"
            obj.save(update_fields=["show_individual_ranks", "updated_at"])
            messages.success(request, _("Saved."))
            return redirect("incentives:identities")
        identity = get_object_or_404(Identity, pk=request.POST.get("identity"))
        person = get_object_or_404(Person, pk=request.POST.get("person"))
        reasons = request.POST.getlist("reason")
        if request.POST.get("decision") == "accept":
            try:
                report = identity_merge_accept(
                    identity=identity, person=person, by=request.user, reasons=reasons
                )
            except IdentityMergeError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "%(identity)s now belongs to %(person)s; %(n)s adjustment(s) written "
                        "(%(delta)+d points)."
                    )
                    % {
                        "identity": identity.value,
                        "person": person.name,
                        "n": report.adjustments,
                        "delta": report.points_delta,
                    },
                )
        else:
            identity_merge_reject(
                identity=identity, person=person, by=request.user, reasons=reasons
            )
            messages.info(
                request,
                _("Suggestion %(identity)s → %(person)s dismissed.")
                % {"identity": identity.value, "person": person.name},
            )
        return redirect("incentives:identities")
