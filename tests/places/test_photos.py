"""Pin photos: checked by what they contain, capped in bytes and pixels, and stored afresh with
no metadata under a random name."""

from __future__ import annotations

import io
import os
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from places.models import Pin

pytestmark = pytest.mark.django_db

ADD = "/places/pins/new/"
GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return client


def image_bytes(fmt: str, size=(64, 48), color=(200, 30, 30), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Acme Phones"  # Make
    exif[0x0110] = "Spyphone 3"  # Model
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    if orientation:
        exif[0x0112] = orientation
    exif[GPS_IFD] = {
        1: "N",
        2: (52.0, 3.0, 7.5),
        3: "W",
        4: (1.0, 33.0, 0.0),
    }
    return exif


def post(client, place, categories, upload) -> object:
    return client.post(
        ADD,
        {
            "idempotency_key": str(uuid.uuid4()),
            "kind": "shame",
            "category": categories[0].pk,
            "aspect": "looks",
            "description": "Graffiti on the underpass.",
            "ward": place["west"].pk,
            "photo": upload,
        },
    )


def stored(pin: Pin) -> Image.Image:
    image = Image.open(pin.photo.path)
    image.load()
    return image


def raw_bytes(pin: Pin) -> bytes:
    with open(pin.photo.path, "rb") as stored_file:
        return stored_file.read()


def files_under(root) -> list[str]:
    return [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]


def test_a_jpeg_loses_its_exif_and_gps_position(signed_in, place, categories):
    original = image_bytes("JPEG", exif=exif_with_gps())
    # The test image really carries a position.
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    response = post(signed_in, place, categories, SimpleUploadedFile("me.jpg", original))

    assert response.status_code == 302, response.content[:2000]
    image = stored(Pin.objects.get())
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(GPS_IFD)
    assert "exif" not in image.info
    raw = raw_bytes(Pin.objects.get())
    for secret in (b"Acme Phones", b"Spyphone", b"SERIAL-12345"):
        assert secret not in raw


def test_a_photo_taken_sideways_is_stored_upright_without_its_orientation_tag(
    signed_in, place, categories
):
    original = image_bytes("JPEG", size=(40, 20), exif=exif_with_gps(orientation=6))

    post(signed_in, place, categories, SimpleUploadedFile("side.jpg", original))

    image = stored(Pin.objects.get())
    assert image.size == (20, 40)
    assert dict(image.getexif()) == {}


def test_a_jpeg_comment_does_not_survive(signed_in, place, categories):
    original = image_bytes("JPEG", comment=b"Taken at 12 Acacia Avenue by J. Smith")
    assert Image.open(io.BytesIO(original)).info.get("comment")

    post(signed_in, place, categories, SimpleUploadedFile("me.jpg", original))

    image = stored(Pin.objects.get())
    assert "comment" not in image.info
    assert b"Acacia" not in raw_bytes(Pin.objects.get())


def test_a_png_keeps_none_of_its_text_chunks(signed_in, place, categories):
    chunks = PngInfo()
    chunks.add_text("Author", "Jane Smith")
    chunks.add_text("Comment", "12 Acacia Avenue")
    chunks.add_itxt("Description", "Home — Acacia Avenue")
    chunks.add_text("Location", "52.05,-1.55", zip=True)
    original = image_bytes("PNG", pnginfo=chunks, exif=exif_with_gps())
    assert Image.open(io.BytesIO(original)).text

    response = post(signed_in, place, categories, SimpleUploadedFile("screen.png", original))

    assert response.status_code == 302
    image = stored(Pin.objects.get())
    assert image.format == "PNG"
    assert image.text == {}
    assert "exif" not in image.info
    assert dict(image.getexif()) == {}
    raw = raw_bytes(Pin.objects.get())
    assert b"Acacia" not in raw and b"Jane" not in raw


def test_a_webp_is_accepted_and_stripped(signed_in, place, categories):
    original = image_bytes("WEBP", exif=exif_with_gps())
    response = post(signed_in, place, categories, SimpleUploadedFile("p.webp", original))
    assert response.status_code == 302
    image = stored(Pin.objects.get())
    assert image.format == "WEBP"
    assert "exif" not in image.info
    assert Pin.objects.get().photo.name.endswith(".webp")


def test_the_type_is_read_from_the_content_not_the_name(signed_in, place, categories):
    post(signed_in, place, categories, SimpleUploadedFile("really-a-png.jpg", image_bytes("PNG")))
    pin = Pin.objects.get()
    assert pin.photo.name.endswith(".png")
    assert stored(pin).format == "PNG"


def test_the_stored_name_is_random_not_the_upload_name(signed_in, place, categories):
    upload = SimpleUploadedFile("jane-smith-12-acacia-avenue.jpg", image_bytes("JPEG"))
    post(signed_in, place, categories, upload)

    pin = Pin.objects.get()
    assert re.fullmatch(r"pins/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", pin.photo.name)
    assert "acacia" not in pin.photo.url
    page = signed_in.get(f"/places/pins/{pin.pk}/").content.decode()
    assert pin.photo.url in page
    assert "acacia" not in page.lower()


def test_two_uploads_with_the_same_name_get_different_names(signed_in, place, categories):
    for _ in range(2):
        post(signed_in, place, categories, SimpleUploadedFile("same.jpg", image_bytes("JPEG")))
    names = set(Pin.objects.values_list("photo", flat=True))
    assert len(names) == 2


def test_big_photos_are_scaled_down(signed_in, place, categories):
    upload = SimpleUploadedFile("wide.jpg", image_bytes("JPEG", (3000, 600)))
    post(signed_in, place, categories, upload)
    assert stored(Pin.objects.get()).size == (2048, 410)


def assert_refused(response, media, message: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert message in html
    assert response.context["form"].has_error("photo")
    assert not Pin.objects.exists()
    assert files_under(media) == []


def test_a_text_file_named_jpg_is_a_clear_error(signed_in, place, categories, media):
    upload = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho not a photo\n", "image/jpeg")
    response = post(signed_in, place, categories, upload)
    message = "The photo could not be read. Choose a JPEG, PNG or WebP image."
    assert_refused(response, media, message)


def test_a_truncated_jpeg_is_a_clear_error(signed_in, place, categories, media):
    whole = image_bytes("JPEG", size=(400, 300))
    upload = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2])
    response = post(signed_in, place, categories, upload)
    assert_refused(response, media, "The photo could not be read")


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_types_are_refused(signed_in, place, categories, media, fmt):
    upload = SimpleUploadedFile("anim.jpg", image_bytes(fmt), "image/jpeg")
    response = post(signed_in, place, categories, upload)
    assert_refused(response, media, "The photo must be a JPEG, PNG or WebP image.")


def test_a_photo_over_5_mb_is_refused(signed_in, place, categories, media):
    noise = Image.frombytes("RGB", (1400, 1300), os.urandom(1400 * 1300 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG", compress_level=0)
    assert len(out.getvalue()) > 5 * 1024 * 1024
    response = post(signed_in, place, categories, SimpleUploadedFile("big.png", out.getvalue()))
    assert_refused(response, media, "The photo must be smaller than 5 MB.")


def test_a_photo_over_25_megapixels_is_refused_even_when_small_in_bytes(
    signed_in, place, categories, media
):
    original = image_bytes("PNG", size=(6000, 5000), color=0, mode="L", optimize=True)
    assert len(original) < 1024 * 1024
    response = post(signed_in, place, categories, SimpleUploadedFile("bomb.png", original))
    assert_refused(response, media, "The photo must be smaller than 25 megapixels.")


def test_a_photo_is_optional(signed_in, place, categories):
    response = post(signed_in, place, categories, "")
    assert response.status_code == 302
    assert not Pin.objects.get().photo
