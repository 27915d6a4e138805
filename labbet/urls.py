"""Labbet's URLs; the stable ones people type and print are listed in DESIGN.md."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from insights.views.unsubscribe import unsubscribe
from labbet.health import healthz
from workshops.urls import home_urlpatterns
from workshops.views import accounts

urlpatterns = [
    *home_urlpatterns,
    path("", include("workshops.urls")),
    path("", include("insights.urls")),
    path("", include("challenges.urls")),
    path("healthz", healthz, name="healthz"),
    path("unsubscribe/<str:token>/", unsubscribe, name="unsubscribe"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/labbers/new/", accounts.new_labber, name="labber-create"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler404 = "workshops.views.errors.not_found"
handler500 = "workshops.views.errors.server_error"
