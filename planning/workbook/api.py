"""The planning workbook over REST: export, the blank template, import (dry run by default) and
the import jobs' status."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from planning.models import WorkbookImport
from planning.workbook.export import planning_workbook
from planning.workbook.jobs import upload_refusal, workbook_import_commit, workbook_import_start
from planning.zoning.api import FormatIsOurs

EXPORT_PERMISSION = "inventory.view_frame"
IMPORT_PERMISSION = "planning.add_workbookimport"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CanReadInventory(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)


class CanImport(permissions.BasePermission):
    message = (
        "Importing the workbook needs the Planner role (permission planning.add_workbookimport)."
    )

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(IMPORT_PERMISSION)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class WorkbookExportView(APIView):
    """The whole estate as the planning workbook (xlsx): a sheet per model a planner edits."""

    permission_classes = [permissions.IsAuthenticated, CanReadInventory]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["xlsx"], default="xlsx")],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> HttpResponse | Response:
        if request.query_params.get("format", "xlsx") != "xlsx":
            return Response({"format": ["The workbook comes as xlsx only."]}, status=400)
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        content = planning_workbook(user=request.user.get_username())
        return xlsx_response(content, f"lpmplanner-workbook-{stamp}.xlsx")


class WorkbookTemplateView(APIView):
    """The blank workbook: every sheet's headers and dropdowns, and a README sheet."""

    permission_classes = [permissions.IsAuthenticated, CanReadInventory]

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request: Request) -> HttpResponse:
        content = planning_workbook(user=request.user.get_username(), template=True)
        return xlsx_response(content, "lpmplanner-workbook-template.xlsx")


class WorkbookImportSerializer(serializers.ModelSerializer):
    history_url = serializers.SerializerMethodField()

    class Meta:
        model = WorkbookImport
        fields = [
            "id",
            "filename",
            "sheet",
            "dry_run",
            "state",
            "progress",
            "step",
            "rows",
            "committed",
            "message",
            "report",
            "request_id",
            "history_url",
            "requested_by",
            "created",
            "started",
            "finished",
            "heartbeat",
            "file_deleted",
        ]
        read_only_fields = fields

    def get_history_url(self, job: WorkbookImport) -> str:
        return f"/inventory/history/?request_id={job.request_id}"


class WorkbookUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="An xlsx workbook, or one sheet as CSV (at most WORKBOOK_MAX_UPLOAD_MB, 25 MB "
        "by default)."
    )
    dry_run = serializers.BooleanField(
        default=True, help_text="Only preview what would change (the default)."
    )
    sheet = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="For a CSV file: the sheet it holds (else taken from the file name).",
    )

    def validate_file(self, file):
        refusal = upload_refusal(file.size)
        if refusal:
            raise serializers.ValidationError(refusal)
        return file


def _job_response(job: WorkbookImport) -> Response:
    done = job.state in (WorkbookImport.State.SUCCEEDED, WorkbookImport.State.FAILED)
    body = WorkbookImportSerializer(job).data
    if job.state == WorkbookImport.State.FAILED and not job.report:
        return Response({"file": [job.message], "import": body}, status=400)
    return Response(body, status=status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED)


class WorkbookImportView(APIView):
    """Import a workbook: a dry run unless `dry_run` is false. A small file is answered at once
    (200, the report); a large one is queued (202, the job: poll its status)."""

    permission_classes = [permissions.IsAuthenticated, CanImport]
    parser_classes = [MultiPartParser, FormParser]
    extra_error_codes = {"post": ("415",)}  # a body that is not a form (JSON, say)

    @extend_schema(
        request={"multipart/form-data": WorkbookUploadSerializer},
        responses={
            200: WorkbookImportSerializer,
            202: WorkbookImportSerializer,
            400: OpenApiResponse(description='The file was refused: {"file": [why]}.'),
        },
    )
    def post(self, request: Request) -> Response:
        upload = WorkbookUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        job = workbook_import_start(
            chunks=file.chunks(),
            filename=file.name,
            user=request.user,
            dry_run=upload.validated_data["dry_run"],
            sheet=upload.validated_data["sheet"],
        )
        return _job_response(job)


class WorkbookImportDetailView(APIView):
    """An import's state, progress and report."""

    permission_classes = [permissions.IsAuthenticated, CanImport]

    @extend_schema(responses={200: WorkbookImportSerializer})
    def get(self, request: Request, pk: int) -> Response:
        job = get_object_or_404(WorkbookImport, pk=pk)
        return Response(WorkbookImportSerializer(job).data)


class WorkbookImportCommitView(APIView):
    """Commit the file a dry run read, as it was uploaded."""

    permission_classes = [permissions.IsAuthenticated, CanImport]

    @extend_schema(
        request=None, responses={200: WorkbookImportSerializer, 202: WorkbookImportSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        source = get_object_or_404(WorkbookImport, pk=pk)
        return _job_response(workbook_import_commit(source=source, user=request.user))
