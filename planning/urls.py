from django.urls import path

from planning import views

app_name = "planning"

urlpatterns = [
    path("planning/", views.index, name="index"),
    path("zoning/", views.zoning_index, name="zoning-index"),
]
