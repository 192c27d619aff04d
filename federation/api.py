"""/api/v1/federation/...: the sync history, the public mirrors, divergences (with the admin's
decision as a POST) and held deltas (dismissed by a committee member). OSPO admins read all;
committee members read and dismiss held deltas."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.permissions import HasPerm
from federation import divergence, held
from federation.models import Divergence, HeldDelta, Mirror, SyncRun
from people.roles import PERM_ADMIN, PERM_REVIEW


class SyncRunSerializer(serializers.ModelSerializer):
    project_path = serializers.CharField(source="project.path", read_only=True)
    duration_s = serializers.SerializerMethodField()

    class Meta:
        model = SyncRun
        fields = ["id", "project", "project_path", "trigger", "status", "attempt", "started_at",
                  "finished_at", "duration_s", "refs_before", "refs_after", "commits_ingested",
                  "commits_published", "commits_held", "commits_skipped", "error", "detail"]  # fmt: skip

    def get_duration_s(self, run) -> float | None:
        return run.duration.total_seconds() if run.duration else None


class MirrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mirror
        fields = ["id", "project", "github_path", "web_url", "state", "branch", "mode",
                  "rewrites", "published_sha", "public_sha", "seen_sha", "released_at",
                  "synced_at", "checked_at"]  # fmt: skip


class DivergenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Divergence
        fields = ["id", "project", "kind", "state", "ref", "public_sha", "expected_sha",
                  "internal_sha", "reason", "merge_request_url", "decided_by", "decided_at",
                  "resolved_at", "created_at"]  # fmt: skip


class DivergenceDecisionSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=["hold", "overwrite", "import"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class HeldDeltaSerializer(serializers.ModelSerializer):
    class Meta:
        model = HeldDelta
        fields = ["id", "project", "lane", "from_sha", "to_sha", "first_blocked_sha", "findings",
                  "state", "note", "resolved_by", "resolved_at", "created_at"]  # fmt: skip


class HeldNoteSerializer(serializers.Serializer):
    note = serializers.CharField()


class SyncRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = SyncRun.objects.select_related("project")
    serializer_class = SyncRunSerializer
    permission_classes = [HasPerm(PERM_ADMIN)]
    filterset_fields = ["project", "status", "trigger"]


class MirrorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Mirror.objects.all()
    serializer_class = MirrorSerializer
    permission_classes = [HasPerm(PERM_ADMIN)]
    filterset_fields = ["project", "state"]


class DivergenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Divergence.objects.all()
    serializer_class = DivergenceSerializer
    permission_classes = [HasPerm(PERM_ADMIN)]
    filterset_fields = ["project", "state", "kind"]

    @extend_schema(
        request=DivergenceDecisionSerializer,
        responses={200: DivergenceSerializer, 400: OpenApiResponse(description="Refused")},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Hold, overwrite (with a reason) or import the public commits as a merge request."""
        d = self.get_object()
        data = DivergenceDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        choice, reason = data.validated_data["choice"], data.validated_data["reason"]
        try:
            if choice == "hold":
                d = divergence.divergence_hold(divergence=d, by=request.user, reason=reason)
            elif choice == "overwrite":
                d = divergence.divergence_overwrite(divergence=d, by=request.user, reason=reason)
            else:
                d = divergence.divergence_import(divergence=d, by=request.user)
        except divergence.DivergenceError as exc:
            raise ValidationError({"detail": [str(exc)]}) from None
        d.refresh_from_db()
        return Response(DivergenceSerializer(d).data)


class HeldDeltaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = HeldDelta.objects.all()
    serializer_class = HeldDeltaSerializer
    permission_classes = [HasPerm(PERM_REVIEW)]
    filterset_fields = ["project", "state", "lane"]

    @extend_schema(
        request=HeldNoteSerializer,
        responses={200: HeldDeltaSerializer, 400: OpenApiResponse(description="Refused")},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """The commits stay inside (a reason is required)."""
        item = self.get_object()
        data = HeldNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            item = held.held_delta_dismiss(
                held=item, by=request.user, note=data.validated_data["note"]
            )
        except held.HeldError as exc:
            raise ValidationError({"detail": [str(exc)]}) from None
        return Response(HeldDeltaSerializer(item).data)


def register(router) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
    router.register("federation/runs", SyncRunViewSet, basename="sync-run")
    router.register("federation/mirrors", MirrorViewSet, basename="mirror")
    router.register("federation/divergences", DivergenceViewSet, basename="divergence")
    router.register("federation/held", HeldDeltaViewSet, basename="held-delta")
