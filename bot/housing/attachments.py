"""Attachments: photos and files tenants send, stored on disk by the channel layer and recorded here.

Each attachment belongs to exactly one repair or hazard case. The same file (by SHA-256) sent twice to the
same record is recorded once, so a webhook retried by the provider does not duplicate it.
"""

from __future__ import annotations

import builtins
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import hazards, repairs
from bot.housing._common import resolve_now
from bot.housing.errors import AttachmentNotFound, InvalidAttachment
from bot.housing.models import Attachment

ALLOWED_CONTENT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/gif",
        "video/mp4",
        "video/3gpp",
        "video/quicktime",
        "application/pdf",
    }
)
MAX_SIZE_BYTES = 20 * 1024 * 1024
"""Telegram bots can download files up to 20 MB; WhatsApp media is capped at 16 MB."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _parent(
    session: Session, repair_reference: str | None, hazard_reference: str | None
) -> tuple[int | None, int | None]:
    if (repair_reference is None) == (hazard_reference is None):
        raise InvalidAttachment("an attachment belongs to exactly one repair or hazard case")
    if repair_reference is not None:
        return repairs.get_or_raise(session=session, reference=repair_reference).id, None
    assert hazard_reference is not None
    return None, hazards.get_or_raise(session=session, reference=hazard_reference).id


def get(*, session: Session, attachment_id: int) -> Attachment | None:
    """Return the attachment with `attachment_id`, or None."""
    return session.get(Attachment, attachment_id)


def get_or_raise(*, session: Session, attachment_id: int) -> Attachment:
    """Return the attachment with `attachment_id`.

    Raises:
        AttachmentNotFound: If there is none.

    """
    found = get(session=session, attachment_id=attachment_id)
    if found is None:
        raise AttachmentNotFound(f"no attachment {attachment_id}")
    return found


def list(
    *, session: Session, repair_reference: str | None = None, hazard_reference: str | None = None
) -> builtins.list[Attachment]:
    """Return the attachments of one repair or one hazard case, oldest first.

    Raises:
        InvalidAttachment: Unless exactly one reference is given.
        InvalidReference, RepairNotFound, HazardCaseNotFound: For a bad reference.

    """
    repair_id, hazard_id = _parent(session, repair_reference, hazard_reference)
    statement = select(Attachment).order_by(Attachment.id)
    if repair_id is not None:
        statement = statement.where(Attachment.repair_id == repair_id)
    else:
        statement = statement.where(Attachment.hazard_case_id == hazard_id)
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    path: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    repair_reference: str | None = None,
    hazard_reference: str | None = None,
    now: datetime | None = None,
) -> Attachment:
    """Record a stored file against a repair or a hazard case (give exactly one reference).

    Returns:
        The new attachment, or the existing one if the same file was already recorded on that record.

    Raises:
        InvalidAttachment: For a missing path, an unsupported type, a size of 0 or over 20 MB, a malformed
            SHA-256, or not exactly one parent reference.
        InvalidReference, RepairNotFound, HazardCaseNotFound: For a bad reference.

    """
    at = resolve_now(now)
    stored_at = str(path or "").strip()
    kind = str(content_type or "").split(";")[0].strip().lower()
    digest = str(sha256 or "").strip().lower()
    if not stored_at or len(stored_at) > 500:
        raise InvalidAttachment("an attachment needs the path it is stored at (at most 500 characters)")
    if kind not in ALLOWED_CONTENT_TYPES:
        raise InvalidAttachment(f"files of type {content_type!r} are not accepted")
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or not 0 < size_bytes <= MAX_SIZE_BYTES:
        raise InvalidAttachment(f"size must be 1 byte to {MAX_SIZE_BYTES} bytes, got {size_bytes!r}")
    if not _SHA256.match(digest):
        raise InvalidAttachment("sha256 must be 64 hexadecimal characters")
    repair_id, hazard_id = _parent(session, repair_reference, hazard_reference)
    existing = (
        session.execute(
            select(Attachment).where(
                Attachment.sha256 == digest,
                Attachment.repair_id == repair_id,
                Attachment.hazard_case_id == hazard_id,
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        return existing
    attachment = Attachment(
        repair_id=repair_id,
        hazard_case_id=hazard_id,
        path=stored_at,
        content_type=kind,
        size_bytes=size_bytes,
        sha256=digest,
        created_at=at,
    )
    session.add(attachment)
    session.flush()
    return attachment
