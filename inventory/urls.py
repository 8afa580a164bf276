from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("inventory/", views.index, name="index"),
    path("hmcs/", views.hmc_index, name="hmc-index"),
]
