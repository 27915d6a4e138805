"""Labbet's URLs; the stable ones people type and print are listed in DESIGN.md."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from labbet.health import healthz
from workshops.urls import home_urlpatterns

urlpatterns = [
    *home_urlpatterns,
    path("", include("workshops.urls")),
    path("", include("insights.urls")),
    path("healthz", healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler404 = "workshops.views.errors.not_found"
