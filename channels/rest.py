"""Rasa's REST channel with TenantLine's intake rules applied (used by the tenant simulator, tests and integrations).

Card numbers typed by mistake are masked before the message reaches Rasa, so they never land in the tracker
store, the logs or the housing database. The REST channel trusts its caller, so in production it belongs behind
the landlord's own authentication (or is left out of credentials.yml).
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from channels.intake import prepare_text


class TenantRestInput(RestInput):
    """REST input that masks card numbers and records that it did so in the message metadata."""

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's REST path, /webhooks/rest/webhook."""
        return "rest"

    def _extract_message(self, req: Request) -> str | None:
        text = super()._extract_message(req)
        return prepare_text(text).text if isinstance(text, str) else text

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Return the caller's metadata plus `card_number_masked` when the text held a card number."""
        metadata = request.json.get("metadata") if isinstance(request.json, dict) else None
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        text = request.json.get("message") if isinstance(request.json, dict) else None
        if isinstance(text, str) and prepare_text(text).card_number_masked:
            metadata["card_number_masked"] = True
        return metadata or None
