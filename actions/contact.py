"""How to reach the landlord: phone numbers, hours, email and office address from landlord.yml."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.landlord import get_landlord


class ActionContactInfo(Action):
    """Tell the tenant how to contact the landlord."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_contact_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Send the landlord's contact details."""
        landlord = get_landlord()
        dispatcher.utter_message(
            response="utter_contact_info",
            landlord_name=landlord.name,
            landlord_phone=landlord.phone,
            hours=landlord.hours_summary(),
            out_of_hours_phone=landlord.out_of_hours_phone,
            email=landlord.email,
            address=landlord.address_line(),
        )
        return []
