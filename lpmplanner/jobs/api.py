"""`/api/jobs/`: every kind of background work the caller may see, newest first, paginated,
filtered by kind, state and who asked; each item links to its own page and API object."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from lpmplanner.jobs.forms import JobFilterForm
from lpmplanner.jobs.selectors import job_kinds, job_kinds_visible, job_rows, jobs_query
from lpmplanner.permissions import may_read


class JobSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="sync, create_on_hmc, workbook_import, migration …")
    kind_label = serializers.CharField()
    id = serializers.IntegerField(help_text="The job's id among jobs of its kind.")
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    progress = serializers.IntegerField(help_text="0–100.")
    step = serializers.CharField(help_text="What the job is doing now.")
    message = serializers.CharField(help_text="The outcome, or why it failed.")
    requested_by = serializers.IntegerField(allow_null=True, help_text="The user's id.")
    requested_by_name = serializers.CharField()
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    heartbeat = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="The job's page.")
    api_url = serializers.CharField(help_text="The job in the API of its kind ('' if none).")


class MayRead(permissions.BasePermission):
    """Signed in, with a role (a user with no role reads nothing)."""

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and may_read(request.user, None)


def _parameters() -> list[OpenApiParameter]:
    kinds = ", ".join(f"`{kind.kind()}`" for kind in job_kinds())
    return [
        OpenApiParameter("kind", OpenApiTypes.STR, description=f"One kind: {kinds}."),
        OpenApiParameter(
            "state",
            OpenApiTypes.STR,
            description="One state (queued, running, "
            "succeeded, failed, or a kind's own such as partial or migrating).",
        ),
        OpenApiParameter("user", OpenApiTypes.STR, description="Asked by (user name)."),
    ]


class JobListView(GenericAPIView):
    """Every kind of background work you may see (HMC syncs, creations on HMCs, workbook
    imports, migrations …), newest first."""

    permission_classes = [MayRead]
    serializer_class = JobSerializer
    filter_backends: list = []

    @extend_schema(parameters=_parameters(), responses=JobSerializer(many=True))
    def get(self, request: Request) -> Response:
        kinds = job_kinds_visible(user=request.user)
        form = JobFilterForm(request.query_params, kinds=kinds)
        if not form.is_valid():
            raise ValidationError(form.errors)
        query = jobs_query(
            kinds=form.kinds_chosen(kinds),
            state=form.cleaned_data["state"],
            username=form.cleaned_data["user"].strip(),
        )
        page = self.paginate_queryset(query)
        rows = job_rows(page=page, kinds=kinds)
        return self.get_paginated_response(JobSerializer(rows, many=True).data)
