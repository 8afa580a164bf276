"""The Workbook page: export, the blank template, upload → preview (dry run) → commit."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lpmplanner.permissions import require
from planning.models import WorkbookImport
from planning.workbook.api import EXPORT_PERMISSION, IMPORT_PERMISSION
from planning.workbook.columns import SHEETS
from planning.workbook.jobs import upload_refusal, workbook_import_commit, workbook_import_start


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Workbook (xlsx) or one sheet (CSV)",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )
    sheet = forms.ChoiceField(
        label="Sheet of a CSV file",
        required=False,
        choices=[("", "from the file name")] + [(s.title, s.title) for s in SHEETS],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        refusal = upload_refusal(file.size)
        if refusal:
            raise ValidationError(refusal)
        return file


def workbook_page(request: HttpRequest) -> HttpResponse:
    require(request, EXPORT_PERMISSION)
    can_import = request.user.has_perm(IMPORT_PERMISSION)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require(request, IMPORT_PERMISSION)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = workbook_import_start(
                chunks=upload.chunks(),
                filename=upload.name,
                user=request.user,
                dry_run=True,
                sheet=form.cleaned_data["sheet"],
            )
            return redirect(job)
    imports = WorkbookImport.objects.select_related("requested_by")[:20] if can_import else []
    return render(
        request,
        "planning/workbook.html",
        {"form": form, "can_import": can_import, "imports": imports, "sheets": SHEETS},
    )


def workbook_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, IMPORT_PERMISSION)
    job = get_object_or_404(WorkbookImport.objects.select_related("requested_by"), pk=pk)
    partial = request.headers.get("HX-Request") == "true"
    template = "planning/_workbook_import.html" if partial else "planning/workbook_import.html"
    return render(request, template, {"job": job})


@require_POST
def workbook_import_commit_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, IMPORT_PERMISSION)
    source = get_object_or_404(WorkbookImport, pk=pk)
    try:
        return redirect(workbook_import_commit(source=source, user=request.user))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(source)
