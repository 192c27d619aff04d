"""Pages of the review app: the queue, the disclosure page and its actions, request release."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from config.permissions import RoleRequiredMixin
from people.roles import PERM_REVIEW
from projects import selectors as project_selectors
from review import access, codeview, engine, patents, selectors, services, waivers
from review.errors import WorkflowError
from review.forms import (
    CommentForm,
    NoteForm,
    PatentDecisionForm,
    ReasonForm,
    RequestReleaseForm,
    ResubmitForm,
    VoteForm,
    WaiverForm,
)
from review.models import Disclosure, Finding, Lane, Patent


def visible_disclosure_or_404(user, pk) -> Disclosure:
    try:
        return selectors.disclosures_visible(user).get(pk=pk)
    except Disclosure.DoesNotExist:
        raise Http404(_("No such disclosure, or it is not yours to see.")) from None


class QueueView(RoleRequiredMixin, TemplateView):
    """Open disclosures for the committee, optionally only those waiting for one lane."""

    permission_required = PERM_REVIEW
    template_name = "review/queue.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        lane = self.request.GET.get("lane", "")
        lane = lane if lane in Lane.values else ""
        rows = []
        for d in selectors.review_queue(self.request.user, lane=lane)[:200]:
            rows.append({"disclosure": d, "lanes": selectors.lane_status(d)})
        ctx.update(
            rows=rows,
            lane=lane,
            lanes=Lane.choices,
            my_lanes=sorted(access.lanes_of(self.request.user)),
        )
        return ctx


class DisclosureView(LoginRequiredMixin, TemplateView):
    template_name = "review/disclosure.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        d = visible_disclosure_or_404(user, kwargs["pk"])
        screening = selectors.current_screening(d) or selectors.latest_screening(d)
        groups = selectors.findings_grouped(screening) if screening else {}
        for findings in groups.values():
            for f in findings[:100]:
                f.code = codeview.finding_context(
                    d.project,
                    f.commit or screening.sha,
                    f.path,
                    f.line,
                    redact=f.check_name == "secrets",
                )
        actions = access.actions_for(user, d)
        rules = engine.rules_version()
        touched = selectors.patents_touched(d) if d.sha else []
        decisions = selectors.patent_decisions(d)
        ctx.update(
            disclosure=d,
            project=d.project,
            owner=project_selectors.current_owner(d.project),
            screening=screening,
            screening_stale=bool(screening and selectors.screening_is_stale(screening, rules)),
            blocking=selectors.findings_blocking(screening).count() if screening else 0,
            groups=groups,
            waivers=selectors.waivers_active(d.project).select_related("owner", "created_by"),
            lane_status=[(Lane(k), v) for k, v in selectors.lane_status(d).items()],
            patents=[(p, decisions.get(p.pk)) for p in touched],
            audit=selectors.audit_log(d).select_related("actor"),
            actions=actions["names"],
            my_lanes=actions["lanes"],
            conflict=actions["conflict"],
            blockers=services.approval_blockers(d, rules_version=rules)
            if "approve" in actions["names"]
            else [],
            vote_form=VoteForm(),
            waiver_form=WaiverForm(initial={"owner": d.submitted_by}),
            decision_form=PatentDecisionForm(),
            comment_form=CommentForm(),
            reason_form=ReasonForm(),
            note_form=NoteForm(),
            user_model=get_user_model(),
        )
        return ctx


class ScreeningStatusView(LoginRequiredMixin, View):
    """Small JSON the disclosure page polls every second while a screening runs."""

    def get(self, request, pk):
        d = visible_disclosure_or_404(request.user, pk)
        s = selectors.latest_screening(d)
        return JsonResponse(
            {
                "disclosure_state": d.state,
                "screening": None
                if s is None
                else {
                    "id": s.pk,
                    "state": s.state,
                    "done": s.progress_done,
                    "total": s.progress_total,
                    "phase": s.progress_phase,
                    "percent": s.percent,
                    "error": s.error,
                },
            }
        )


class AuditCsvView(LoginRequiredMixin, View):
    def get(self, request, pk):
        d = visible_disclosure_or_404(request.user, pk)
        response = HttpResponse(selectors.audit_csv(d), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="disclosure-{d.pk}-audit.csv"'
        return response


class ActionView(LoginRequiredMixin, View):
    """POST /review/disclosures/<pk>/<action>/: one workflow action, then back to the page."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        d = visible_disclosure_or_404(request.user, pk)
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            raise Http404(_("Unknown action."))
        try:
            message = handler(d, request.POST)
        except WorkflowError as exc:
            messages.error(request, str(exc))
        except _FormInvalid as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, message)
        return redirect("review:disclosure", pk=d.pk)

    def _form(self, form_class, data):
        form = form_class(data)
        if not form.is_valid():
            errors = "; ".join(
                f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}"
                for k, v in form.errors.items()
            )
            raise _FormInvalid(_("Check the form: ") + errors)
        return form.cleaned_data

    def do_sign_off(self, d, data):
        v = self._form(VoteForm, data)
        services.disclosure_lane_sign_off(
            disclosure=d, lane=v["lane"], by=self.request.user, note=v["note"]
        )
        return _("Signed off the %(lane)s lane.") % {"lane": Lane(v["lane"]).label}

    def do_send_back(self, d, data):
        v = self._form(VoteForm, data)
        services.disclosure_send_back(
            disclosure=d, lane=v["lane"], by=self.request.user, note=v["note"]
        )
        return _("Sent back to the researcher.")

    def do_approve(self, d, data):
        v = self._form(NoteForm, data)
        services.disclosure_approve(disclosure=d, by=self.request.user, note=v["note"])
        return _("Approved %(sha)s for release.") % {"sha": d.sha[:12]}

    def do_reject(self, d, data):
        v = self._form(ReasonForm, data)
        services.disclosure_reject(disclosure=d, by=self.request.user, reason=v["reason"])
        return _("Rejected.")

    def do_withdraw(self, d, data):
        v = self._form(ReasonForm, data)
        services.disclosure_withdraw(disclosure=d, by=self.request.user, reason=v["reason"])
        return _("Withdrawn.")

    def do_archive(self, d, data):
        v = self._form(ReasonForm, data)
        services.disclosure_archive(disclosure=d, by=self.request.user, reason=v["reason"])
        return _("Archived.")

    def do_rescreen(self, d, data):
        services.disclosure_rescreen(disclosure=d, by=self.request.user)
        return _("Screening again.")

    def do_comment(self, d, data):
        v = self._form(CommentForm, data)
        services.disclosure_comment(disclosure=d, by=self.request.user, text=v["text"])
        return _("Comment added.")

    def do_waive(self, d, data):
        v = self._form(WaiverForm, data)
        finding = Finding.objects.filter(pk=v["finding"], screening__disclosure=d).first()
        if finding is None:
            raise _FormInvalid(_("No such finding on this disclosure."))
        waivers.waiver_create(
            disclosure=d,
            finding=finding,
            by=self.request.user,
            lane=v["lane"],
            reason=v["reason"],
            owner=v["owner"],
            expires_on=v["expires_on"],
        )
        return _("Waived until %(day)s.") % {"day": v["expires_on"]}

    def do_patent_decision(self, d, data):
        v = self._form(PatentDecisionForm, data)
        patent = Patent.objects.filter(pk=v["patent"]).first()
        if patent is None:
            raise _FormInvalid(_("No such patent."))
        patents.patent_decision_record(
            disclosure=d,
            patent=patent,
            decision=v["decision"],
            by=self.request.user,
            note=v["note"],
        )
        return _("Decision recorded for %(number)s.") % {"number": patent.number}


class _FormInvalid(Exception):
    pass


def _plan_initial(source) -> dict:
    if source is None:
        return {}
    return {
        "mode": source.mode,
        "outbound_license": source.outbound_license,
        "purpose": source.purpose,
        "target_repo": source.target_repo,
        "maintainers": ", ".join(source.maintainers),
        "expected_contributions": source.expected_contributions,
    }


def _apply_error(form, exc: WorkflowError):
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


class RequestReleaseView(LoginRequiredMixin, FormView):
    """The researcher's request for release of one commit (creates and submits a disclosure)."""

    template_name = "review/request.html"
    form_class = RequestReleaseForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.project = get_object_or_404(
            project_selectors.visible_projects(request.user), pk=kwargs["project_pk"]
        )
        if not project_selectors.can_edit(request.user, self.project):
            raise PermissionDenied(_("Only researchers of the owner team may request a release."))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {
            "outbound_license": self.project.license,
            "target_repo": self.project.name,
            "mode": Disclosure.Mode.FULL_HISTORY,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            project=self.project, open=selectors.project_disclosure(self.project), **kwargs
        )

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            d = services.disclosure_request(
                project=self.project, by=self.request.user, sha=data.pop("sha"), **data
            )
        except WorkflowError as exc:
            _apply_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Submitted for review."))
        return redirect("review:disclosure", pk=d.pk)


class ResubmitView(LoginRequiredMixin, FormView):
    template_name = "review/resubmit.html"
    form_class = ResubmitForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.disclosure = visible_disclosure_or_404(request.user, kwargs["pk"])
        try:
            access.require_researcher(request.user, self.disclosure)
        except WorkflowError as exc:
            raise PermissionDenied(str(exc)) from None
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return _plan_initial(self.disclosure)

    def get_context_data(self, **kwargs):
        return super().get_context_data(disclosure=self.disclosure, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            services.disclosure_resubmit(
                disclosure=self.disclosure, by=self.request.user, sha=data.pop("sha"), **data
            )
        except WorkflowError as exc:
            _apply_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Resubmitted for review."))
        return redirect("review:disclosure", pk=self.disclosure.pk)
