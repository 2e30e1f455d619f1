"""What may be attached to a task: a few document and image types, 10 MB each.

The extension must be allowed AND the first bytes must match it (a renamed
executable is not a PDF), so a file is judged by its content, not its name.
"""

from __future__ import annotations

import codecs
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_SIZE = 10 * 1024 * 1024

PDF = (b"%PDF-",)
PNG = (b"\x89PNG\r\n\x1a\n",)
JPEG = (b"\xff\xd8\xff",)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # also docx and xlsx, which are zip files
OLE2 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # the old doc and xls

# extension → accepted leading bytes (None: plain text, checked separately)
SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "zip": ZIP,
    "docx": ZIP,
    "xlsx": ZIP,
    "doc": OLE2,
    "xls": OLE2,
    "txt": None,
}


def _looks_like_text(head: bytes, whole: bool) -> bool:
    """UTF-8 or GB18030 text without NUL bytes. When `head` is only the start of
    the file, a character cut in two at its end is no fault."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=whole)
            return True
        except UnicodeDecodeError:
            continue
    return False


def attachment_check(upload: UploadedFile) -> None:
    """Raise ValidationError, with a message naming the file, unless it may be attached."""
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in SIGNATURES:
        raise ValidationError(
            _(
                "“%(name)s” cannot be attached: only PDF, Word (doc, docx), Excel (xls, xlsx), "
                "JPG, PNG, TXT and ZIP files are accepted."
            )
            % {"name": name}
        )
    if upload.size > MAX_SIZE:
        raise ValidationError(
            _("“%(name)s” is larger than 10 MB and cannot be attached.") % {"name": name}
        )
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    expected = SIGNATURES[extension]
    matches = (
        _looks_like_text(head, len(head) >= upload.size)
        if expected is None
        else head.startswith(expected)
    )
    if not matches:
        raise ValidationError(
            _(
                "“%(name)s” cannot be attached: its content is not a %(type)s file. "
                "Do not rename files to change their type."
            )
            % {"name": name, "type": extension.upper()}
        )
