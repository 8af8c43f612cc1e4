"""Pin photos: checked by what they contain, not what they are called, and stripped of metadata.

A photo is accepted only if Pillow reads it as JPEG, PNG or WebP, it is at most
``MAX_BYTES`` and ``MAX_PIXELS``, and it decodes cleanly. It is then turned upright (from its EXIF
orientation) and encoded afresh at no more than ``MAX_SIDE`` pixels a side, so nothing of the
original file survives: no EXIF, no GPS position, no camera serial, no trailing payload.
"""

from __future__ import annotations

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000
MAX_SIDE = 2048
ALLOWED = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def clean_photo(upload) -> ContentFile:
    """A safe copy of an uploaded photo, or ValidationError saying what is wrong with it."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("The photo must be smaller than 5 MB."), code="photo_too_big")
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            kind = probe.format
            width, height = probe.size
            if kind not in ALLOWED:
                raise ValidationError(
                    _("The photo must be a JPEG, PNG or WebP image."), code="photo_type"
                )
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("The photo must be smaller than 25 megapixels."), code="photo_pixels"
                )
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if kind == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.info.clear()  # comments, ICC profiles, text chunks: nothing carried over
            out = io.BytesIO()
            # A fresh encode with no exif/icc/xmp arguments carries no metadata over.
            image.save(out, format=kind, **({"quality": 85} if kind != "PNG" else {}))
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("The photo could not be read. Choose a JPEG, PNG or WebP image."),
            code="photo_unreadable",
        ) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ALLOWED[kind]}")
