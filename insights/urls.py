from django.urls import path

from insights.views import phone

app_name = "insights"

urlpatterns = [
    path("j/<str:code>/post/", phone.post, name="post"),
]
