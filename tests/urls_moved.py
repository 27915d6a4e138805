"""The whole app under /moved/: where a test moves the URLs to (tests/test_console_views.py)."""

from django.urls import include, path

urlpatterns = [path("moved/", include("labbet.urls"))]
