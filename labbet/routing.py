"""Websocket routes (the stable one: /ws/w/<CODE>/)."""

from django.urls import path

from insights.consumers import WorkshopConsumer

websocket_urlpatterns = [
    path("ws/w/<str:code>/", WorkshopConsumer.as_asgi(), name="ws-workshop"),
]
