"""The staff console: a small web app where staff take over escalated conversations and reply to tenants.

It needs only the housing database (handoffs, records, the outbox, the audit log) and the Rasa server's HTTP API
(to pause and resume the assistant and to read transcripts). Build it with `bot.console.app.create_app` and run it
with `python -m bot.console` (port 8000 by default).
"""
