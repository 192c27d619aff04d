"""The org directory API: read for any signed-in user; imports for OSPO admins."""

import django_filters
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.permissions import HasPerm
from people import orgcsv, selectors, services
from people.models import Membership, OrgImport, Person
from people.roles import PERM_ADMIN, roles_of
from people.serializers import (
    MembershipSerializer,
    MeSerializer,
    OrgImportSerializer,
    OrgImportUploadSerializer,
    PersonSerializer,
    TeamSerializer,
)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    queryset = selectors.team_tree()
    filterset_fields = ["kind", "parent"]
    search_fields = ["name", "path"]
    ordering_fields = ["path", "name"]


class PersonFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(method="filter_team", label="Team path (includes sub-teams)")

    class Meta:
        model = Person
        fields = ["team"]

    def filter_team(self, queryset, name, value):
        return queryset.filter(
            memberships__team__path__startswith=value, memberships__end__isnull=True
        ).distinct()


class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    search_fields = ["name", "email", "identities__value"]
    ordering_fields = ["name", "email"]

    def get_queryset(self):
        return selectors.people_directory()


class MembershipFilter(django_filters.FilterSet):
    active_on = django_filters.DateFilter(method="filter_active_on")

    class Meta:
        model = Membership
        fields = ["person", "team", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MembershipSerializer
    queryset = Membership.objects.select_related("person", "team")
    filterset_class = MembershipFilter
    ordering_fields = ["start", "end"]


class OrgImportViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Upload an org CSV (OSPO admin). The import runs in a task; poll the record for its state."""

    queryset = OrgImport.objects.all()
    permission_classes = [HasPerm(PERM_ADMIN)]
    parser_classes = [MultiPartParser]

    def get_serializer_class(self):
        return OrgImportUploadSerializer if self.action == "create" else OrgImportSerializer

    @extend_schema(request=OrgImportUploadSerializer, responses={202: OrgImportSerializer})
    def create(self, request, *args, **kwargs):
        upload = OrgImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        f = upload.validated_data["file"]
        if f.size > settings.ORG_CSV_MAX_BYTES:
            return Response(
                {"file": [f"The file is larger than {settings.ORG_CSV_MAX_BYTES} bytes."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            text = orgcsv.decode(f.read())
        except orgcsv.OrgImportError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        record = services.org_import_queue(
            text=text,
            filename=f.name,
            create_teams=upload.validated_data["create_teams"],
            by=request.user,
        )
        record.refresh_from_db()
        return Response(OrgImportSerializer(record).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"])
    def export(self, request):
        response = HttpResponse(selectors.org_export_csv(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="org.csv"'
        return response


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        person = getattr(request.user, "person", None)
        if person is not None:
            person = selectors.people_directory().get(pk=person.pk)
        data = {
            "username": request.user.get_username(),
            "roles": roles_of(request.user),
            "person": person,
        }
        return Response(MeSerializer(data).data)
