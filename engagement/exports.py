"""Streamed downloads shared by every app's exports: formula-safe CSV cells, chunking, and a
streamed attachment that stays lazy under ASGI."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, may strip them and then read one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-3", "-2.5") cannot be a formula and stays a number.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
ROWS_PER_CHUNK = 500


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ``'`` stops it running as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def chunked(lines: Iterable[str]) -> Iterator[str]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


class Line:
    """A file-like object whose ``write`` hands back what the csv writer wrote."""

    def write(self, value: str) -> str:
        return value


async def _async_chunks(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Pull a synchronous export a chunk at a time in Django's thread for database work.

    Under ASGI Django would otherwise read a synchronous iterator to the end before sending
    anything: the whole export in memory.
    """
    pull = sync_to_async(next, thread_sensitive=True)
    try:
        while (chunk := await pull(chunks, None)) is not None:
            yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()


def download(
    request: HttpRequest, chunks: Iterator[str], *, content_type: str, filename: str
) -> StreamingHttpResponse:
    """A streamed attachment, read lazily under both WSGI and ASGI."""
    content = _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
