"""Inventory URLs: the same five pages for every model, plus grids and the change history."""

from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("inventory/", views.index, name="index"),
    path("inventory/history/", views.history_index, name="history"),
    path("search/", views.search, name="search"),
    path("inventory/lpars/<int:pk>/grid/", views.lpar_grid, name="lpar-grid"),
    path("inventory/frames/<int:pk>/slot-grid/", views.frame_slot_grid, name="frame-slot-grid"),
]
for object_type in views.OBJECT_TYPES:
    base, name, slug = f"inventory/{object_type.slug}/", object_type.model_name, object_type.slug
    urlpatterns += [
        path(base, views.object_list, {"slug": slug}, name=f"{name}-list"),
        path(f"{base}add/", views.object_edit, {"slug": slug}, name=f"{name}-add"),
        path(f"{base}bulk-edit/", views.bulk_edit, {"slug": slug}, name=f"{name}-bulk-edit"),
        path(f"{base}options/", views.object_options, {"slug": slug}, name=f"{name}-options"),
        path(f"{base}<int:pk>/", views.object_detail, {"slug": slug}, name=f"{name}-detail"),
        path(f"{base}<int:pk>/edit/", views.object_edit, {"slug": slug}, name=f"{name}-edit"),
        path(f"{base}<int:pk>/delete/", views.object_delete, {"slug": slug}, name=f"{name}-delete"),
    ]
