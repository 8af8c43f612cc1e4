"""WebSocket routes for the whole platform. Each live app adds its own patterns here."""

from django.urls import path

from engagement import consumers

websocket_urlpatterns = [
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
]
