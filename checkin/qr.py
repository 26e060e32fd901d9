"""QR images of codes, sized to be read by a phone from a metre away.

A venue code's URL (about 150 characters: the base URL, `/c/` and a 120-character code) fits
QR version 7 or 8 (45 or 49 modules) at error correction M, which survives glare and a
partly covered screen. With a box of `BOX_PIXELS` = 12 pixels per module and the standard
quiet zone of `BORDER_MODULES` = 4 modules, the PNG is 636 or 684 pixels square. Phones read a
QR code reliably from about ten times its width, so at a metre it should be shown at least
10 cm wide: a 684-pixel image is about 11 cm on a typical tablet (160 pixels per inch) at
its natural size. The SVG has the same geometry (1.2 mm per module, so about 6 cm square
when printed at its natural size; it scales without loss).
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

BOX_PIXELS = 12
BORDER_MODULES = 4


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=BOX_PIXELS,
        border=BORDER_MODULES,
    )
    code.add_data(text.encode("ascii"))
    code.make(fit=True)
    return code


def png(text: str) -> bytes:
    """The QR code of `text` as a black-on-white PNG."""
    buffer = io.BytesIO()
    _code(text).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(text: str) -> bytes:
    """The QR code of `text` as an SVG path (scales to any size without loss)."""
    buffer = io.BytesIO()
    _code(text).make_image(image_factory=SvgPathImage).save(buffer)
    return buffer.getvalue()
