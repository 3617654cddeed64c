"""The housing system of record: models, migrations and the service layer that is the only code touching them.

Callers open a session with `bot.housing.db.session_scope` and call service functions in the concept modules
(`repairs`, `rent`, `complaints`, ...). Nothing here connects to a database at import time.
"""
