"""Photos from tenants: fetched with size and type limits, stored under var/media/, attached to the right case.

Flow for one incoming photo:

1. The channel describes it as a `MediaItem` (Twilio: MediaUrlN and MediaContentTypeN; Telegram: the file id)
   and supplies a `MediaFetcher` that downloads it (Twilio: `download` with the account's credentials;
   Telegram: getFile then `download`).
2. `download` refuses more than `MediaPolicy.max_bytes` (streaming, so a huge file is never held in memory) and
   any type but the allowed images; the first bytes must look like the declared image type.
3. `store_media` writes the bytes under var/media/<first two hex digits>/<sha256>.<ext> (the same photo sent twice
   is stored once).
4. The pipeline reads the conversation's tracker for the case in progress (`case_reference`) and attaches the
   photo to it with `bot.housing.attachments`, or keeps it in `PendingMedia` until a case is logged later in the
   conversation (a tenant often sends the photo before the assistant has finished asking about the repair).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.orm import Session

from bot.housing import attachments
from bot.housing.db import session_scope
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

DEFAULT_MEDIA_DIR = PROJECT_ROOT / "var" / "media"
MAX_MEDIA_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
}
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")

CASE_SLOTS = (("repair", "repair_reference"), ("hazard", "hazard_reference"))
"""Tracker slots naming the case a photo belongs to, in order of preference."""


@dataclass(frozen=True)
class MediaPolicy:
    """What the channels accept: images up to a size."""

    max_bytes: int = MAX_MEDIA_BYTES
    allowed_types: frozenset[str] = IMAGE_TYPES

    @property
    def limit_mb(self) -> int:
        """Return the size limit in whole megabytes, for telling tenants."""
        return max(1, self.max_bytes // (1024 * 1024))


@dataclass(frozen=True)
class MediaItem:
    """A piece of media in an incoming message, as the channel describes it.

    Attributes:
        ref: Where to fetch it: a URL (Twilio) or a provider file id (Telegram).
        content_type: The type the provider declared, if any ("image/jpeg").
        kind: "image", or what the assistant cannot read: "audio", "video", "sticker", "document",
            "location", "contact", "other".
    """

    ref: str
    content_type: str | None = None
    kind: str = "image"

    def to_dict(self) -> dict[str, Any]:
        """Return the item as JSON-ready data (for the inbox journal)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MediaItem:
        """Rebuild an item from `to_dict` output."""
        return cls(ref=str(data["ref"]), content_type=data.get("content_type"), kind=str(data.get("kind", "image")))


@dataclass(frozen=True)
class FetchedMedia:
    """Downloaded bytes and their (checked) type."""

    data: bytes
    content_type: str


@dataclass(frozen=True)
class StoredMedia:
    """A photo stored on disk, ready to attach to a case."""

    path: str
    content_type: str
    size_bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready data."""
        return asdict(self)


class MediaRejected(Exception):
    """Raised when a piece of media cannot be accepted; `reason` is "too_large", "unsupported" or "failed"."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


MediaFetcher = Callable[[MediaItem, MediaPolicy], Awaitable[FetchedMedia]]
"""A channel's way of downloading one item; raises MediaRejected."""


def base_type(content_type: str | None) -> str:
    """Return a MIME type without parameters, in lower case ("image/jpeg; x=y" -> "image/jpeg")."""
    return str(content_type or "").split(";")[0].strip().lower()


def looks_like(data: bytes, content_type: str) -> bool:
    """Return whether the first bytes of `data` match the image type `content_type`."""
    kind = base_type(content_type)
    if kind == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if kind == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if kind in ("image/heic", "image/heif"):
        return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS
    return False


def check_media(data: bytes, content_type: str | None, policy: MediaPolicy) -> FetchedMedia:
    """Check downloaded bytes against the policy and return them with their type.

    Raises:
        MediaRejected: "too_large" over the limit; "unsupported" for another type or bytes that do not match it.
    """
    kind = base_type(content_type)
    if len(data) > policy.max_bytes:
        raise MediaRejected("too_large", f"{len(data)} bytes")
    if kind not in policy.allowed_types:
        raise MediaRejected("unsupported", kind or "no type")
    if not data:
        raise MediaRejected("failed", "empty file")
    if not looks_like(data, kind):
        raise MediaRejected("unsupported", f"content is not {kind}")
    return FetchedMedia(data=data, content_type=kind)


async def download(
    url: str,
    *,
    policy: MediaPolicy,
    auth: tuple[str, str] | None = None,
    declared_type: str | None = None,
    timeout: float = 30.0,
) -> FetchedMedia:
    """Download one file over HTTP(S) within the policy's limits.

    Credentials are sent to `url` only; aiohttp drops them if the provider redirects to another host (Twilio
    redirects media to its storage), so the account's secret never leaves the provider.

    Args:
        url: The file's URL.
        policy: Size and type limits.
        auth: Basic-auth (user, password) for the provider, if it needs them.
        declared_type: The type the provider announced; checked before anything is downloaded.
        timeout: Seconds for the whole download.

    Returns:
        The bytes and their type.

    Raises:
        MediaRejected: "unsupported" or "too_large" (checked from the declared type and Content-Length before
            reading, then while reading), "failed" for network errors and non-2xx answers.
    """
    if declared_type is not None and base_type(declared_type) not in policy.allowed_types:
        raise MediaRejected("unsupported", base_type(declared_type))
    basic = aiohttp.BasicAuth(auth[0], auth[1]) if auth else None
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as client,
            client.get(url, auth=basic, max_redirects=3) as response,
        ):
            if response.status >= 300:
                raise MediaRejected("failed", f"HTTP {response.status}")
            kind = base_type(response.headers.get("Content-Type")) or base_type(declared_type)
            if kind not in policy.allowed_types:
                raise MediaRejected("unsupported", kind or "no type")
            if response.content_length is not None and response.content_length > policy.max_bytes:
                raise MediaRejected("too_large", f"{response.content_length} bytes")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > policy.max_bytes:
                    raise MediaRejected("too_large", f"over {policy.max_bytes} bytes")
                chunks.append(chunk)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise MediaRejected("failed", type(error).__name__) from error
    return check_media(b"".join(chunks), kind, policy)


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def store_media(fetched: FetchedMedia, media_dir: Path | None = None) -> StoredMedia:
    """Write a checked file under `media_dir` (default var/media), named by its SHA-256; return its record.

    The path recorded is relative to the project root when the file is inside it, so the database stays valid
    if the project moves.
    """
    directory = media_dir or DEFAULT_MEDIA_DIR
    digest = hashlib.sha256(fetched.data).hexdigest()
    target = directory / digest[:2] / f"{digest}.{_EXTENSIONS.get(fetched.content_type, 'bin')}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        with temporary.open("wb") as handle:
            handle.write(fetched.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    return StoredMedia(
        path=_display_path(target), content_type=fetched.content_type, size_bytes=len(fetched.data), sha256=digest
    )


def case_reference(
    events: Iterable[Mapping[str, Any]], slots: Mapping[str, Any] | None = None
) -> tuple[str, str] | None:
    """Return ("repair" | "hazard", reference) of the case a photo sent now belongs to, or None.

    That is the case named by a filled case slot, or else the case most recently logged in the current session
    (actions clear `repair_reference` once an appointment is booked, but a photo sent straight after still
    belongs to that repair).

    Args:
        events: The tracker's events as dicts (oldest first).
        slots: The tracker's current slot values.
    """
    for kind, slot in CASE_SLOTS:
        value = (slots or {}).get(slot)
        if value:
            return kind, str(value)
    names = {slot: kind for kind, slot in CASE_SLOTS}
    for event in reversed(list(events)):
        if event.get("event") == "session_started":
            return None
        if event.get("event") == "slot" and event.get("name") in names and event.get("value"):
            return names[str(event["name"])], str(event["value"])
    return None


def attach(session_factory: Callable[[], Session], stored: Iterable[StoredMedia], kind: str, reference: str) -> int:
    """Record stored photos against a repair ("repair") or hazard case ("hazard"); return how many are attached.

    Raises:
        HousingError: If the reference names no case (the caller keeps the photos pending).
    """
    count = 0
    with session_scope(session_factory) as session:
        for item in stored:
            attachments.create(
                session=session,
                path=item.path,
                content_type=item.content_type,
                size_bytes=item.size_bytes,
                sha256=item.sha256,
                repair_reference=reference if kind == "repair" else None,
                hazard_reference=reference if kind == "hazard" else None,
            )
            count += 1
    return count


@dataclass
class PendingMedia:
    """Photos waiting for a case to be logged, one JSON file per conversation under `<media_dir>/pending/`."""

    media_dir: Path = field(default_factory=lambda: DEFAULT_MEDIA_DIR)

    def _path(self, sender_id: str) -> Path:
        return self.media_dir / "pending" / f"{hashlib.sha256(sender_id.encode()).hexdigest()[:40]}.json"

    def peek(self, sender_id: str) -> list[StoredMedia]:
        """Return the photos waiting for `sender_id`'s case."""
        path = self._path(sender_id)
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError):
            logger.warning("pending media file %s is unreadable; ignoring it", path.name)
            return []
        return [StoredMedia(**row) for row in rows if isinstance(row, dict)]

    def add(self, sender_id: str, stored: Iterable[StoredMedia]) -> None:
        """Keep photos for `sender_id` until a case is logged (the same photo is kept once)."""
        rows = {item.sha256: item for item in self.peek(sender_id)}
        for item in stored:
            rows.setdefault(item.sha256, item)
        path = self._path(sender_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps([item.to_dict() for item in rows.values()]), encoding="utf-8")
        os.replace(temporary, path)

    def clear(self, sender_id: str) -> None:
        """Forget the photos waiting for `sender_id` (they have been attached)."""
        with contextlib.suppress(FileNotFoundError):
            self._path(sender_id).unlink()
