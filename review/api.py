"""/api/v1/disclosures/: list and read what the user may see; every workflow action is a POST.

Errors: no role, wrong lane or a conflict of interest → 403; wrong state or out of turn → 409;
a refused value (sha, license, repository name) → 400 with the field.
"""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.response import Response

from projects import selectors as project_selectors
from review import patents, selectors, services, waivers
from review.errors import InvalidInput, NotAllowed, WorkflowError, WrongState
from review.models import Disclosure, Finding, Lane, Patent
from review.serializers import (
    AuditEntrySerializer,
    CommentSerializer,
    DisclosureRequestSerializer,
    DisclosureSerializer,
    FindingSerializer,
    NoteSerializer,
    PatentDecisionCreateSerializer,
    PatentDecisionSerializer,
    ReasonSerializer,
    ResubmitSerializer,
    ScreeningSerializer,
    VoteSerializer,
    WaiverCreateSerializer,
    WaiverSerializer,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The disclosure is not in a state where this may happen."
    default_code = "conflict"


def _raise(exc: WorkflowError):
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(str(exc)) from None
    if isinstance(exc, WrongState):
        raise Conflict(str(exc)) from None
    if isinstance(exc, InvalidInput):
        raise ValidationError({exc.field or "detail": [str(exc)]}) from None
    raise ValidationError({"detail": [str(exc)]}) from None


class DisclosureFilter(django_filters.FilterSet):
    lane = django_filters.ChoiceFilter(
        choices=Lane.choices, method="filter_lane", label="Waiting for this lane"
    )

    class Meta:
        model = Disclosure
        fields = ["state", "project", "lane"]

    def filter_lane(self, queryset, name, value):
        return queryset & selectors.review_queue(self.request.user, lane=value)


ERRORS = {
    400: OpenApiResponse(description="A value was refused"),
    403: OpenApiResponse(description="No role, not your lane, or a conflict of interest"),
    409: OpenApiResponse(description="Wrong state, or not its turn yet"),
}


def _responses(ok=DisclosureSerializer, code=200):
    return {code: ok, **ERRORS}


class DisclosureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DisclosureSerializer
    filterset_class = DisclosureFilter
    search_fields = ["project__path", "sha", "target_repo"]
    ordering_fields = ["updated_at", "submitted_at", "state"]
    ordering = ["-updated_at"]

    def get_queryset(self):
        return selectors.disclosures_visible(self.request.user)

    def _respond(self, d: Disclosure, code=status.HTTP_200_OK):
        d = self.get_queryset().get(pk=d.pk)
        return Response(DisclosureSerializer(d).data, status=code)

    def _data(self, serializer_class):
        s = serializer_class(data=self.request.data)
        s.is_valid(raise_exception=True)
        return dict(s.validated_data)

    @extend_schema(
        request=DisclosureRequestSerializer,
        responses=_responses(code=201),
        summary="Request release: create and submit a disclosure of one commit",
    )
    def create(self, request):
        data = self._data(DisclosureRequestSerializer)
        project = data.pop("project")
        if not project_selectors.visible_projects(request.user).filter(pk=project.pk).exists():
            # A private project of another team answers like one that does not exist.
            raise ValidationError(
                {"project": [f'Invalid pk "{project.pk}" - object does not exist.']}
            )
        try:
            d = services.disclosure_request(
                project=project, by=request.user, sha=data.pop("sha"), **data
            )
        except WorkflowError as exc:
            _raise(exc)
        return self._respond(d, status.HTTP_201_CREATED)

    @extend_schema(request=ResubmitSerializer, responses=_responses())
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        d = self.get_object()
        data = self._data(ResubmitSerializer)
        try:
            services.disclosure_resubmit(disclosure=d, by=request.user, sha=data.pop("sha"), **data)
        except WorkflowError as exc:
            _raise(exc)
        return self._respond(d)

    @extend_schema(request=ReasonSerializer, responses=_responses())
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._simple(services.disclosure_withdraw, ReasonSerializer)

    @extend_schema(request=ReasonSerializer, responses=_responses())
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._simple(services.disclosure_reject, ReasonSerializer)

    @extend_schema(request=ReasonSerializer, responses=_responses())
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._simple(services.disclosure_archive, ReasonSerializer)

    @extend_schema(request=NoteSerializer, responses=_responses())
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._simple(services.disclosure_approve, NoteSerializer)

    @extend_schema(request=VoteSerializer, responses=_responses())
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, pk=None):
        return self._simple(services.disclosure_lane_sign_off, VoteSerializer)

    @extend_schema(request=VoteSerializer, responses=_responses())
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        return self._simple(services.disclosure_send_back, VoteSerializer)

    @extend_schema(request=None, responses=_responses(ScreeningSerializer, 202))
    @action(detail=True, methods=["post"])
    def rescreen(self, request, pk=None):
        d = self.get_object()
        try:
            screening = services.disclosure_rescreen(disclosure=d, by=request.user)
        except WorkflowError as exc:
            _raise(exc)
        return Response(ScreeningSerializer(screening).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=CommentSerializer, responses=_responses(AuditEntrySerializer, 201))
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        d = self.get_object()
        data = self._data(CommentSerializer)
        try:
            entry = services.disclosure_comment(disclosure=d, by=request.user, text=data["text"])
        except WorkflowError as exc:
            _raise(exc)
        return Response(AuditEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WaiverCreateSerializer, responses=_responses(WaiverSerializer, 201))
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        d = self.get_object()
        data = self._data(WaiverCreateSerializer)
        finding = Finding.objects.filter(pk=data.pop("finding"), screening__disclosure=d).first()
        if finding is None:
            raise ValidationError({"finding": ["No such finding on this disclosure."]})
        try:
            waiver = waivers.waiver_create(disclosure=d, finding=finding, by=request.user, **data)
        except WorkflowError as exc:
            _raise(exc)
        return Response(WaiverSerializer(waiver).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PatentDecisionCreateSerializer,
        responses=_responses(PatentDecisionSerializer, 201),
    )
    @action(detail=True, methods=["post"], url_path="patent-decision")
    def patent_decision(self, request, pk=None):
        d = self.get_object()
        data = self._data(PatentDecisionCreateSerializer)
        patent = Patent.objects.filter(pk=data.pop("patent")).first()
        if patent is None:
            raise ValidationError({"patent": ["No such patent."]})
        try:
            dec = patents.patent_decision_record(
                disclosure=d, patent=patent, by=request.user, **data
            )
        except WorkflowError as exc:
            _raise(exc)
        return Response(PatentDecisionSerializer(dec).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=FindingSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def findings(self, request, pk=None):
        """Findings of the current screening; `waived` applies the project's active waivers."""
        d = self.get_object()
        s = selectors.current_screening(d)
        if s is None:
            return Response([])
        waived = selectors.waived_fingerprints(d.project)
        return Response(
            FindingSerializer(s.findings.all(), many=True, context={"waived": waived}).data
        )

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def audit(self, request, pk=None):
        d = self.get_object()
        return Response(AuditEntrySerializer(selectors.audit_log(d), many=True).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="audit-csv")
    def audit_csv(self, request, pk=None):
        d = self.get_object()
        response = HttpResponse(selectors.audit_csv(d), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="disclosure-{d.pk}-audit.csv"'
        return response

    def _simple(self, service, serializer_class):
        d = self.get_object()
        data = self._data(serializer_class)
        try:
            service(disclosure=d, by=self.request.user, **data)
        except WorkflowError as exc:
            _raise(exc)
        return self._respond(d)


def register(router) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
    router.register("disclosures", DisclosureViewSet, basename="disclosure")
