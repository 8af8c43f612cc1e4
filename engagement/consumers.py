"""The platform's minimal live channel: per-person notifications.

It proves the live path end to end (origin check, session authentication, the channel layer across
server processes) and is where notices such as "an officer replied to your pin" will be pushed.
Writes never arrive over the socket; the server only pushes.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

# Close codes in the 4000–4999 range are the application's own.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_MESSAGE_TOO_LARGE = 4413
MAX_MESSAGE_BYTES = 16 * 1024


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notify_user(user_id: int, event: str, payload: dict) -> None:
    """Push a notification to every open connection of one person, on any server process.

    Call it after the change it announces has been committed (``transaction.on_commit``).
    """
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        user_group(user_id), {"type": "notification", "event": event, "payload": payload}
    )


CLOSE_TRY_AGAIN_LATER = 1013  # the channel layer is away; the page retries with backoff


class LayerGuard:
    """With Redis pub/sub, opening a consumer subscribes in Redis before ``connect()`` runs. If
    Redis is away that raises: refuse the socket with 1013 (try again later) instead of letting
    the error reach the server. Put it first among a consumer's bases."""

    async def __call__(self, scope, receive, send):
        from redis.exceptions import RedisError

        try:
            return await super().__call__(scope, receive, send)
        except (RedisError, OSError):
            if getattr(self, "channel_name", None) is not None:
                raise  # the failure came later, from a handler: not ours to hide
            log.warning("channel layer unavailable; refusing a WebSocket connection")
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})


class NotificationConsumer(LayerGuard, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "payload": {}})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_MESSAGE_TOO_LARGE)
            return
        # Binary frames and malformed JSON are ignored like any other unexpected message; letting
        # them raise would tear the connection down with a server error.
        if not text_data:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        # The only message a client may send is a keep-alive; everything else is ignored.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"event": "pong", "payload": {}})

    async def notification(self, message: dict) -> None:
        await self.send_json({"event": message["event"], "payload": message["payload"]})
