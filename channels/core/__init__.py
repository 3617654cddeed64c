"""What every messaging channel shares, written once.

A channel module (twilio_sms, whatsapp, telegram) only parses its provider's payloads, checks their authenticity
and talks to its provider's API; everything else is here.

Modules and the API a channel uses:

- `registration`: `ChannelNotConfigured(channel, missing)`, `missing_settings(settings, *names)`,
  `build_or_disable(cls, credentials)` (what `from_credentials` returns), `install_runtime(blueprint, pipeline,
  on_start)` (outbox dispatcher and inbox replay with the server's life).
- `pipeline`: `Incoming(channel, address, external_id, text, media, metadata)` and `InboundPipeline(...)`:
  `bind(on_new_message)` in `blueprint()`, `await receive(incoming, request.app) -> bool` in the webhook
  (False: a repeat, acknowledge only), `drain()` in tests.
- `output`: `OutboxOutputChannel` (subclass per channel: `name()`, `channel`, `text_limit`, optionally
  `normalise` and `render`), `OutgoingPart(body, template_name, template_variables)`, `sender_id_for(channel,
  address)`, `parse_sender_id(sender_id)`, `reply_key(sender_id, external_id)`, `address_hash(address)`.
- `media`: `MediaItem(ref, content_type, kind)`, `MediaPolicy`, `FetchedMedia`, `MediaRejected(reason)`,
  `download(url, policy=..., auth=..., declared_type=...)`, `check_media(data, content_type, policy)`.
- `text`: `split_text(text, limit)`, `to_gsm7(text)`, `is_gsm7(text)`, `sms_segments(text)` and the limits
  `SMS_LIMIT`, `WHATSAPP_LIMIT`, `TELEGRAM_LIMIT`.
- `buttons`: `render_numbered(text, buttons)`, `option_number(text)`, `payload_for(text, buttons)`,
  `buttons_from_events(events)`, `ButtonMemory`.
- `keywords`: `classify(text) -> Keyword | None` (STOP / START / HELP).
- `messages`: `channel_text(key, **values)`: the landlord's sentences from landlord.yml `channel_messages`.
- `inbox`, `ordering`, `db`: used by the pipeline (de-duplication and the journal all replicas share, with
  claims and leases; per-conversation order; the housing database session factory and `use_session_factory`).

The outbox dispatcher itself is `channels.outbox` (`register_sender`, `Sender`, `SendResult`,
`TransientSendError`, `PermanentSendError`, `RateLimit`, `wake`, `start_dispatcher`, `stop_dispatcher`).
"""
