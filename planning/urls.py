"""Planning URLs: the Planning page, checks, scheme, per-LPAR twins and runbooks, the
migratability matrix, evacuation plans, the planning workbook; Zoning."""

from django.urls import path

from planning import views
from planning.workbook import views as workbook
from planning.zoning import views as zoning

app_name = "planning"

urlpatterns = [
    path("planning/", views.index, name="index"),
    path("planning/checks/", views.checks_page, name="checks"),
    path("planning/schemes/<int:pk>/edit/", views.scheme_edit, name="scheme-edit"),
    path("planning/lpars/<int:pk>/", views.lpar_page, name="lpar"),
    path(
        "planning/lpars/<int:pk>/allocate-slot/",
        views.lpar_allocate_slot,
        name="lpar-allocate-slot",
    ),
    path("planning/lpars/<int:pk>/stub-twin/", views.lpar_stub_twin, name="lpar-stub-twin"),
    path(
        "planning/lpars/<int:pk>/refresh-twin/", views.lpar_refresh_twin, name="lpar-refresh-twin"
    ),
    path("planning/lpars/<int:pk>/runbook/", views.lpar_runbook, name="lpar-runbook"),
    path("planning/stub-twins/", views.frame_stub_twins, name="frame-stub-twins"),
    path("planning/matrix/", views.matrix_page, name="matrix"),
    path("planning/matrix/cell/", views.matrix_cell, name="matrix-cell"),
    path("planning/matrix/export.xlsx", views.matrix_export, name="matrix-export"),
    path("planning/matrix/exports/", views.matrix_export_prepare, name="matrix-export-prepare"),
    path(
        "planning/matrix/exports/<int:pk>/download/",
        views.matrix_export_download,
        name="matrix-export-download",
    ),
    path("planning/evacuation/", views.evacuation_start, name="evacuation-start"),
    path("planning/frames/<int:pk>/evacuation/", views.frame_evacuation, name="frame-evacuation"),
    path("planning/evacuation-plans/<int:pk>/", views.evacuation_plan_page, name="evacuation-plan"),
    path(
        "planning/evacuation-plans/<int:pk>/move/",
        views.evacuation_plan_move,
        name="evacuation-plan-move",
    ),
    path("planning/workbook/", workbook.workbook_page, name="workbook"),
    path(
        "planning/workbook/imports/<int:pk>/",
        workbook.workbook_import_detail,
        name="workbook-import-detail",
    ),
    path(
        "planning/workbook/imports/<int:pk>/commit/",
        workbook.workbook_import_commit_page,
        name="workbook-import-commit",
    ),
    path("zoning/", zoning.zoning_index, name="zoning-index"),
    path("zoning/download/", zoning.zoning_download, name="zoning-download-all"),
    path(
        "zoning/fabrics/<int:fabric_id>/settings/",
        zoning.zoning_settings,
        name="zoning-settings",
    ),
    path(
        "zoning/fabrics/<int:fabric_id>/preview/",
        zoning.zoning_preview,
        name="zoning-preview",
    ),
    path(
        "zoning/fabrics/<int:fabric_id>/download/",
        zoning.zoning_download,
        name="zoning-download",
    ),
]
