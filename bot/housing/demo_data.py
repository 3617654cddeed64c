"""The fictional patch of the demo landlord: its streets, its tenants' names and the repairs they report.

Street names are invented; each street's postcode is valid in format and uses the area's real district. The
seed (`bot.housing.seed`) draws from these lists with a fixed random seed.
"""

from __future__ import annotations

from bot.housing.enums import Priority

TOWN = "Leeds"

# Area -> streets with their postcodes. Street names are invented; the districts are the area's real ones.
STREETS: dict[str, list[tuple[str, str]]] = {
    "Harehills": [
        ("Millbrook Close", "LS9 7QT"),
        ("Ashgrove Terrace", "LS8 5HN"),
        ("Cranmore Road", "LS9 6PB"),
        ("Kestrel Court", "LS8 3RW"),
    ],
    "Armley": [
        ("Foundry Lane", "LS12 2DJ"),
        ("Linnet Walk", "LS12 3NF"),
        ("Baxter Row", "LS12 1TL"),
        ("Harrow Mount", "LS12 4QE"),
    ],
    "Seacroft": [
        ("Quarry Rise", "LS14 6BX"),
        ("Larkspur Drive", "LS14 1HU"),
        ("Stonegate Way", "LS14 5PD"),
    ],
    "Beeston": [
        ("Beckside Avenue", "LS11 7AG"),
        ("Orchard View", "LS11 6LS"),
        ("Tanner Street", "LS11 8EY"),
    ],
}

FIRST_NAMES = [
    name
    for line in (
        "James Olivia Mohammed Amelia Jack Isla Harry Ava Oliver Mia Leo Grace Daniel Chloe Kwame Aisha",
        "Tomasz Zofia Ryan Emily Liam Hannah Connor Niamh Imran Fatima George Ruby Callum Priya Stephen",
        "Margaret Dennis Joan Kevin",
    )
    for name in line.split()
]
LAST_NAMES = [
    name
    for line in (
        "Smith Jones Taylor Brown Wilson Khan Hussain Walker Wright Robinson Thompson Hughes Clarke Mensah",
        "Kowalski Begum Shaw Lee Murphy Ali Green Hall Wood Harrison Marsh Patel Okoro Fletcher",
        "Bennett Doyle",
    )
    for name in line.split()
]

REPAIR_EXAMPLES = [
    ("tap", "kitchen", "The cold tap drips all the time, even when turned off hard.", Priority.ROUTINE),
    ("door", "bedroom", "Bedroom door sticks and will not close properly.", Priority.ROUTINE),
    (
        "boiler",
        "kitchen",
        "No heating or hot water since yesterday, boiler shows fault F28.",
        Priority.URGENT,
    ),
    ("extractor fan", "bathroom", "Extractor fan stopped working, bathroom stays steamy.", Priority.ROUTINE),
    ("gutter", "outside", "Gutter over the front door is overflowing when it rains.", Priority.ROUTINE),
    ("sink", "kitchen", "Kitchen sink blocked and draining very slowly.", Priority.URGENT),
    ("fence", "garden", "Two fence panels blown down in the wind.", Priority.ROUTINE),
    ("window", "living room", "Window catch broken, window will not lock.", Priority.URGENT),
    ("light", "hallway", "Hall ceiling light flickers then goes off.", Priority.ROUTINE),
    ("toilet", "bathroom", "Toilet keeps running after flushing.", Priority.ROUTINE),
    ("radiator", "bedroom", "Radiator in the back bedroom stays cold.", Priority.ROUTINE),
    ("entry-phone", "communal area", "Entry-phone buzzer does not open the main door.", Priority.URGENT),
]
