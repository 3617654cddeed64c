"""`python -m bot.console`: run the staff console."""

from bot.console.server import main

main()
