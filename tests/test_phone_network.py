"""The demo phone network (bot/phone_network.py): a local stand-in for Twilio's Messages API, exercised with the
real twilio client, that keeps what each fictional phone received."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.phone_network import (
    DEMO_ACCOUNT_SID,
    DEMO_SMS_FROM,
    Network,
    PhoneNetworkServer,
    demo_environment,
    demo_service,
    simulator_url,
    start_in_thread,
)
from bot.settings import Settings
from channels.simulator import config_from_settings

TOKEN = "phone-network-test-token-000000"
TENANT = "+447700900001"


@pytest.fixture
def network() -> Iterator[PhoneNetworkServer]:
    server = start_in_thread(Network(account_sid=DEMO_ACCOUNT_SID, auth_token=TOKEN, callback_delay=0.0))
    yield server
    server.shutdown()
    server.server_close()


def twilio(server: PhoneNetworkServer, token: str = TOKEN) -> Client:
    client = Client(DEMO_ACCOUNT_SID, token)
    client.api.base_url = server.base_url
    return client


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class CallbackReceiver:
    """A local endpoint that records the status callbacks it is sent."""

    def __init__(self) -> None:
        received: list[tuple[dict[str, str], str]] = []
        arrived = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                received.append((dict(parse_qsl(body)), self.headers.get("X-Twilio-Signature", "")))
                self.send_response(204)
                self.end_headers()
                if len(received) >= 2:
                    arrived.set()

        self.received = received
        self.arrived = arrived
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/twilio_sms/status"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_phone_network_keeps_a_message_sent_with_the_twilio_client_for_that_phone(
    network: PhoneNetworkServer,
) -> None:
    created = twilio(network).messages.create(to=TENANT, from_=DEMO_SMS_FROM, body="Your repair is booked.")
    assert created.sid.startswith("SM") and created.status == "queued"
    status, found = get_json(f"{network.base_url}/phone/messages?number=%2B447700900001")
    assert status == 200
    assert [(m["body"], m["from"], m["sid"]) for m in found["messages"]] == [
        ("Your repair is booked.", DEMO_SMS_FROM, created.sid)
    ]
    _, other = get_json(f"{network.base_url}/phone/messages?number=%2B447700900002")
    assert other["messages"] == []


def test_phone_network_lists_only_messages_after_the_last_one_seen(network: PhoneNetworkServer) -> None:
    client = twilio(network)
    for body in ("one", "two", "three"):
        client.messages.create(to=f"whatsapp:{TENANT}", from_=f"whatsapp:{DEMO_SMS_FROM}", body=body)
    _, everything = get_json(f"{network.base_url}/phone/messages?number=%2B447700900001")
    first_id = everything["messages"][0]["id"]
    _, later = get_json(f"{network.base_url}/phone/messages?number=%2B447700900001&after={first_id}")
    assert [m["body"] for m in later["messages"]] == ["two", "three"]


def test_phone_network_refuses_the_wrong_credentials_like_twilio(network: PhoneNetworkServer) -> None:
    with pytest.raises(TwilioRestException) as raised:
        twilio(network, token="not-the-token").messages.create(to=TENANT, from_=DEMO_SMS_FROM, body="hi")
    assert raised.value.status == 401
    assert network.network.messages == []


def test_phone_network_refuses_a_message_without_a_body(network: PhoneNetworkServer) -> None:
    with pytest.raises(TwilioRestException) as raised:
        twilio(network).messages.create(to=TENANT, from_=DEMO_SMS_FROM, body="")
    assert raised.value.status == 400


def test_phone_network_reports_sent_then_delivered_with_valid_twilio_signatures(network: PhoneNetworkServer) -> None:
    receiver = CallbackReceiver()
    try:
        created = twilio(network).messages.create(
            to=TENANT, from_=DEMO_SMS_FROM, body="Reply STOP to stop.", status_callback=receiver.url
        )
        assert receiver.arrived.wait(5)
    finally:
        receiver.stop()
    assert [form["MessageStatus"] for form, _ in receiver.received] == ["sent", "delivered"]
    validator = RequestValidator(TOKEN)
    for form, signature in receiver.received:
        assert form["MessageSid"] == created.sid
        assert validator.validate(receiver.url, form, signature)


def test_phone_network_serves_an_uploaded_photo_only_with_the_account_credentials(
    network: PhoneNetworkServer,
) -> None:
    photo = b"\xff\xd8\xff\xe0 a tiny jpeg"
    upload = urllib.request.Request(
        f"{network.base_url}/phone/media", data=photo, headers={"Content-Type": "image/jpeg"}, method="POST"
    )
    with urllib.request.urlopen(upload, timeout=5) as response:
        url = json.loads(response.read())["url"]
    assert url.startswith(f"{network.base_url}/2010-04-01/Accounts/{DEMO_ACCOUNT_SID}/Messages/MM")
    status, _ = get_json(url)
    assert status == 401
    secret = base64.b64encode(f"{DEMO_ACCOUNT_SID}:{TOKEN}".encode()).decode()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Basic {secret}"})) as found:
        assert (found.headers["Content-Type"], found.read()) == ("image/jpeg", photo)


def test_phone_network_refuses_an_upload_that_is_not_a_photo(network: PhoneNetworkServer) -> None:
    upload = urllib.request.Request(
        f"{network.base_url}/phone/media", data=b"#!/bin/sh", headers={"Content-Type": "text/x-sh"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(upload, timeout=5)
    assert raised.value.code == 415


def test_demo_environment_points_twilio_at_the_network_with_a_fresh_token_each_run() -> None:
    first, second = demo_environment(port=5099, rasa_port=5005), demo_environment(port=5099, rasa_port=5005)
    assert first["TWILIO_AUTH_TOKEN"] != second["TWILIO_AUTH_TOKEN"]
    assert first["TWILIO_API_BASE_URL"] == "http://127.0.0.1:5099"
    settings = Settings(_env_file=None, **{key.lower().removeprefix("tenantline_"): v for key, v in first.items()})
    # With these settings the tenant simulator switches itself on.
    assert config_from_settings(settings).sms_from == DEMO_SMS_FROM


def test_demo_service_is_started_with_a_health_address_and_the_simulator_address_is_on_rasa() -> None:
    service = demo_service(5099)
    assert service.command[-3:] == ["bot.phone_network", "--port", "5099"]
    assert service.ready_url == "http://127.0.0.1:5099/health"
    assert simulator_url(5005) == "http://127.0.0.1:5005/webhooks/simulator/"
