"""Item photos, resized on the server (Pillow): a phone's 12-megapixel picture becomes a
JPEG of at most 1200 pixels a side and a 240-pixel thumbnail, its EXIF rotation applied
and its metadata (the phone's location among it) dropped."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from hub.plugin_api import FieldError, now
from hub_toollibrary.i18n import _
from hub_toollibrary.models import Item, Photo

LARGEST = 1200
THUMBNAIL = 240
# Refuse decompression bombs: a tiny file that would unpack to gigabytes.
MAX_PIXELS = 50_000_000
MAX_BYTES = 20 * 1024 * 1024


def _jpeg(image: Image.Image, size: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def read_image(data: bytes) -> Image.Image:
    """The uploaded image, or a FieldError saying why it is not one we take."""
    if not data:
        raise FieldError("photo", _("Choose a photo to upload."))
    if len(data) > MAX_BYTES:
        raise FieldError("photo", _("The photo is larger than 20 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise FieldError("photo", _("The photo has too many pixels."))
            image.load()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
    ):
        raise FieldError(
            "photo", _("This is not a photo we can read (JPEG, PNG or WebP).")
        ) from None
    if image.format not in ("JPEG", "PNG", "WEBP"):
        raise FieldError("photo", _("Upload a JPEG, PNG or WebP photo."))
    return ImageOps.exif_transpose(image).convert("RGB")


def store(session: Session, item: Item, data: bytes) -> Photo:
    """Resize and keep ``data`` as the item's photo (replacing any), and commit."""
    image = read_image(data)
    large = _jpeg(image, LARGEST)
    width, height = Image.open(io.BytesIO(large)).size
    photo = session.get(Photo, item.id) or Photo(item_id=item.id)
    photo.image, photo.thumbnail = large, _jpeg(image, THUMBNAIL)
    photo.width, photo.height, photo.uploaded_at = width, height, now()
    session.add(photo)
    session.commit()
    return photo
