from django.urls import path

from workshops.views import home, join, projector

app_name = "workshops"

urlpatterns = [
    path("j/<str:code>/", join.join, name="join"),
    path("w/<str:code>/projector/", projector.projector, name="projector"),
    path("w/<str:code>/projector/counts/", projector.projector_counts, name="projector-counts"),
]

# The front door keeps a plain name: it is every page's "home" link.
home_urlpatterns = [path("", home.home, name="home")]
