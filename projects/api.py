"""/api/v1/projects/: the catalogue (list, search, filter), registration, edits and transfers."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from config.permissions import HasPerm
from people.models import Team
from people.roles import PERM_ADMIN, PERM_REGISTER
from projects import selectors, services
from projects.models import Project
from projects.serializers import (
    CandidateSerializer,
    ProjectRegisterSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    TransferSerializer,
)


class ProjectFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(method="filter_team", label="Owner team id (with sub-teams)")
    topic = django_filters.CharFilter(method="filter_topic")
    language = django_filters.CharFilter(lookup_expr="iexact")
    license = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Project
        fields = ["team", "topic", "language", "license", "sharing"]

    def filter_team(self, queryset, name, value):
        team = Team.objects.filter(pk=value).first()
        if team is None:
            return queryset.none()
        return queryset & selectors.catalogue(self.request.user, team=team)

    def filter_topic(self, queryset, name, value):
        return queryset & selectors.catalogue(self.request.user, topic=value)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    search_fields = ["name", "path", "summary", "description", "topics"]
    ordering_fields = ["activity_score", "name", "last_commit_at", "registered_at"]
    ordering = ["-activity_score", "path"]

    def get_queryset(self):
        return selectors.visible_projects(self.request.user).prefetch_related("ownerships__team")

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectSerializer)
    def partial_update(self, request, pk=None):
        project = self.get_object()
        if not selectors.can_edit(request.user, project):
            raise PermissionDenied("Only the owner team's researchers and OSPO admins can edit.")
        data = ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            services.project_update(project=project, by=request.user, **data.validated_data)
        except services.RegistryError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(ProjectSerializer(project).data)

    @extend_schema(
        request=ProjectRegisterSerializer,
        responses={201: ProjectSerializer, 200: ProjectSerializer},
    )
    @action(detail=False, methods=["post"], permission_classes=[HasPerm(PERM_REGISTER)])
    def register(self, request):
        from federation import registration

        data = ProjectRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            project, created = registration.register(
                user=request.user, gitlab_ref=values.pop("gitlab_project"), **values
            )
        except registration.RegistrationError as exc:
            raise ValidationError({exc.field or "detail": str(exc)}) from None
        return Response(
            ProjectSerializer(project).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses=CandidateSerializer(many=True))
    @action(
        detail=False,
        methods=["get"],
        permission_classes=[HasPerm(PERM_REGISTER)],
        pagination_class=None,
    )
    def registrable(self, request):
        from federation import registration
        from federation.forges import errors as forge_errors

        try:
            found = registration.registrable_projects(request.user)
        except registration.RegistrationError as exc:
            # 503 only when GitLab is down or rate limiting; a missing GitLab username (or a
            # refusal) is the caller's to fix, not an outage.
            down = isinstance(exc.__cause__, (forge_errors.Unavailable, forge_errors.RateLimited))
            code = status.HTTP_503_SERVICE_UNAVAILABLE if down else status.HTTP_400_BAD_REQUEST
            return Response({"detail": str(exc)}, status=code)
        return Response(CandidateSerializer(found, many=True).data)

    @extend_schema(request=TransferSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], permission_classes=[HasPerm(PERM_ADMIN)])
    def transfer(self, request, pk=None):
        project = self.get_object()
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.ownership_transfer(project=project, by=request.user, **data.validated_data)
        except services.RegistryError as exc:
            raise ValidationError({"start": str(exc)}) from None
        return Response(ProjectSerializer(self.get_queryset().get(pk=project.pk)).data)


def register(router) -> None:
    router.register("projects", ProjectViewSet, basename="project")
