from django.urls import path

from migrations_app import views

app_name = "migrations_app"

urlpatterns = [
    path("migrations/", views.index, name="index"),
]
