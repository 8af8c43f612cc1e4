"""WebSocket routes for the whole platform. Each live app adds its own patterns here."""

from django.urls import path

from engagement import consumers
from engagement.forums import consumers as forum_consumers

websocket_urlpatterns = [
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
    path("ws/forums/threads/<int:thread_id>/", forum_consumers.ThreadConsumer.as_asgi()),
]
