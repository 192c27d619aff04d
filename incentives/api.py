"""API viewsets of the incentives app; config/api.py calls register(router)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from incentives.leaderboards import BOARDS, leaderboard
from incentives.models import ScoringPolicy
from incentives.periods import PeriodError, period_from_params
from incentives.visibility import scope_for


class ScoringPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringPolicy
        exclude = ["created_by"]


class ScoringPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Published versions of the scoring policy (newest first)."""

    serializer_class = ScoringPolicySerializer
    queryset = ScoringPolicy.objects.all()
    filterset_fields = ["version"]
    ordering_fields = ["version", "effective_from"]


class LeaderboardViewSet(viewsets.ViewSet):
    """`/leaderboards/<person|team|project>/?period=quarter&date=2025-02-01` (or since/until).

    Individual ranks follow the same privacy rules as the pages."""

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("id", str, OpenApiParameter.PATH, enum=list(BOARDS)),
            OpenApiParameter("period", str, enum=["week", "month", "quarter", "year", "custom"]),
            OpenApiParameter("date", str),
            OpenApiParameter("since", str),
            OpenApiParameter("until", str),
            OpenApiParameter("limit", int),
        ],
    )
    def retrieve(self, request, pk=None):
        if pk not in BOARDS:
            raise NotFound("Use person, team or project.")
        scope = scope_for(request.user)
        if not (scope.people_board if pk == "person" else scope.totals):
            raise PermissionDenied("This leaderboard is not shown to you.")
        try:
            period = period_from_params(request.query_params)
        except PeriodError as exc:
            raise ValidationError({"period": str(exc)}) from None
        limit = request.query_params.get("limit", "100")
        limit = min(int(limit), 1000) if limit.isdigit() else 100
        board = leaderboard(
            by=pk,
            period=period,
            limit=limit,
            team_ids=scope.board_team_ids if pk == "person" else None,
        )
        return Response(board.as_dict())


def register(router) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
    router.register("scoring-policies", ScoringPolicyViewSet, basename="scoring-policy")
    router.register("leaderboards", LeaderboardViewSet, basename="leaderboard")
