"""How tenants' text is tidied before the safety rules read it: for review by the safety lead.

Everything here is data. `bot.safety.normalise` applies it in this order: emoji, apostrophes and
contractions, punctuation, repeated letters, `REWRITES`, digits used as letters, then spelling
correction (`bot.safety.fuzzy`) towards `FUZZY_KEYWORDS`, except for `PROTECTED` words, then splitting of
run-together words (`SPLIT_WORDS`).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """Turn a whitespace-separated list of words into a set."""
    return frozenset(text.split())


# Emoji that carry a meaning the rules can use. Everything else is dropped. Deliberately absent: 💨
# (wind, speed or a fart, rarely smoke), 💀 and 😭 (laughter), 💥 (celebration as often as a bang).
EMOJI: dict[str, str] = {
    "🔥": "fire",
    "🚒": "fire engine",
    "🌊": "flood",
    "💧": "water",
    "💦": "water",
    "🚿": "shower",
    "🚽": "toilet",
    "💩": "poo",
    "⚡": "electric",
    "🔌": "plug",
    "🆘": "help",
    "🚨": "emergency",
    "🔪": "knife",
    "🩸": "blood",
    "🚪": "door",
    "🪟": "window",
    "👶": "baby",
    "🧒": "child",
    "👧": "child",
    "👦": "child",
}

# Whole words replaced before anything else: text speak, dialect, run-together contractions and
# common misspellings that are too short for spelling correction. Keys are single words after
# repeated letters are collapsed (so "plsss" arrives here as "pls").
REWRITES: dict[str, str] = {
    # text speak
    "u": "you",
    "ya": "you",
    "yu": "you",
    "ur": "your",
    "yr": "your",
    "yer": "your",
    "r": "are",
    "n": "and",
    "nd": "and",
    "pls": "please",
    "plz": "please",
    "plez": "please",
    "pleas": "please",
    "pleaz": "please",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "bc": "because",
    "bcos": "because",
    "bcoz": "because",
    "becoz": "because",
    "smth": "something",
    "smthin": "something",
    "smthing": "something",
    "smthng": "something",
    "sumthin": "something",
    "sumthing": "something",
    "somethin": "something",
    "summat": "something",
    "sumat": "something",
    "nuthin": "nothing",
    "nothin": "nothing",
    "nuffin": "nothing",
    "nowt": "nothing",
    "owt": "anything",
    "thr": "there",
    "ther": "there",
    "dere": "there",
    "wat": "what",
    "wot": "what",
    "wht": "what",
    "b4": "before",
    "2day": "today",
    "2nite": "tonight",
    "2night": "tonight",
    "2nyt": "tonight",
    "tonite": "tonight",
    "tnite": "tonight",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "tmrw": "tomorrow",
    "nw": "now",
    "rn": "right now",
    "sum1": "someone",
    "some1": "someone",
    "no1": "no one",
    "noone": "no one",
    "any1": "anyone",
    "ne1": "anyone",
    "every1": "everyone",
    "ppl": "people",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "hubby": "husband",
    "hubs": "husband",
    "wiv": "with",
    "wif": "with",
    "wid": "with",
    "abt": "about",
    "hav": "have",
    "av": "have",
    "wen": "when",
    "dat": "that",
    "dis": "this",
    "da": "the",
    "tha": "the",
    "o": "of",
    "ov": "of",
    "m8": "mate",
    "gna": "going to",
    "gonna": "going to",
    "gunna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "dunno": "do not know",
    "idk": "i do not know",
    "kms": "kill myself",
    "unalive": "kill",
    "ded": "dead",
    "fone": "phone",
    "ere": "here",
    "hoose": "house",
    "hame": "home",
    "ahm": "i am",
    "masel": "myself",
    "mysel": "myself",
    "hersel": "herself",
    "himsel": "himself",
    "hissel": "himself",
    "theirsel": "themselves",
    "pishing": "pissing",
    "pissin": "pissing",
    "dayz": "days",
    # run-together and dialect negatives ("can't" with its apostrophe is handled in normalise)
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "isnt": "is not",
    "aint": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "hasnt": "has not",
    "havent": "have not",
    "hadnt": "had not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "nae": "no",
    "dinnae": "do not",
    "didnae": "did not",
    "cannae": "can not",
    "wouldnae": "would not",
    "isnae": "is not",
    "wisnae": "was not",
    "im": "i am",
    "ive": "i have",
    "hes": "he is",
    "shes": "she is",
    "theres": "there is",
    "thats": "that is",
    "whats": "what is",
    "theyre": "they are",
    "youre": "you are",
    # electricity slang and carbon monoxide shorthand ("c02" must not become "coz" below)
    "leccy": "electric",
    "lecky": "electric",
    "lekky": "electric",
    "lecci": "electric",
    "elec": "electric",
    "elecy": "electric",
    "lectric": "electric",
    "electrik": "electric",
    "co2": "co",
    "c02": "co",
    "c0": "co",
    # single-word spellings and voice-to-text slips of the short keywords
    "gass": "gas",
    "gaz": "gas",
    "gasss": "gas",
    "fier": "fire",
    "fyre": "fire",
    "fiyah": "fire",
    "leek": "leak",
    "leeking": "leaking",
    "leeks": "leaks",
    "lekking": "leaking",
    "smel": "smell",
    "smels": "smells",
    "smellin": "smelling",
    "sparkin": "sparking",
    "suicidle": "suicidal",
    "suicidel": "suicidal",
    "suacidal": "suicidal",
    "suiside": "suicide",
    "sucide": "suicide",
    "flud": "flood",
    "fludded": "flooded",
    "fludding": "flooding",
    "floodin": "flooding",
    "pourin": "pouring",
    "burnin": "burning",
    "smokin": "smoking",
    "hissin": "hissing",
    "comin": "coming",
    "goin": "going",
    "batterin": "battering",
    "hittin": "hitting",
    "beatin": "beating",
    "sewerage": "sewage",
    "sewege": "sewage",
    "loo": "toilet",
    "lav": "toilet",
    "bog": "toilet",
    "toliet": "toilet",
    "toilette": "toilet",
    "nanna": "nan",
    "nana": "nan",
    "nanny": "nan",
    "gran": "nan",
    "granny": "nan",
    "grandma": "nan",
    "mam": "mum",
    "mom": "mum",
    "mommy": "mum",
    "mummy": "mum",
    "missus": "wife",
    "misses": "wife",
    "wifey": "wife",
    "fella": "partner",
    "fiance": "partner",
    "fiancee": "partner",
    "bairn": "child",
    "bairns": "children",
    "wean": "child",
    "weans": "children",
    "kiddies": "kids",
    "kiddos": "kids",
    "bloke": "man",
    "geezer": "man",
    "firemen": "fireman",
    "firefighter": "fireman",
    "firefighters": "fireman",
    "firebrigade": "fire brigade",
    "stoptap": "stopcock",
    "fusebox": "fuse box",
    "fuseboard": "fuse box",
    "powercut": "power cut",
    "breakin": "break in",
    "selfharm": "self harm",
}

# Digits tenants type for letters ("h3lp", "f1re"); applied only inside words that also have letters.
LEET: dict[str, str] = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}

# Words that tenants run together with a neighbour ("gasleak", "smellgas", "burstpipe"). A word the
# rules do not know is split in two when both halves are known and one of them is listed here. "fire",
# "co" and "no" are left out on purpose: "firework", "coins" and "nomad" would split into danger.
SPLIT_WORDS: frozenset[str] = _words(
    """
    gas leak leaking smell smells smoke alarm carbon monoxide burst pipe water flood power
    electric electrics help kill self break fuse box door front back toilet sewage socket
    """
)

# Contractions with "'s" that mean "is"; on any other word "'s" is a possessive and is dropped
# ("me nan's fell" -> "me nan fell").
IS_AFTER: frozenset[str] = _words(
    "he she it there that what who where here how nobody somebody someone everyone something"
)

# The words that spelling correction aims at: the ones whose misspelling would hide a danger. Other
# vocabulary words are matched exactly; correcting towards them as well turned "think" into "thick"
# and "doing" into "dying". Words of four letters or fewer only forgive doubled letters ("gaas").
FUZZY_KEYWORDS: frozenset[str] = _words(
    """
    smell smells smelling smelled stink stinks leaking leaked hissing monoxide carbon detector alarm
    alarms beeping sounding ringing headache headaches dizzy
    flames ablaze burning smoke smoking sparks sparking sparked socket sockets switch electric
    electricity electrics electrical electrocuted wires wiring cables exposed melted melting scorched
    flood flooding flooded pouring gushing burst bursted ceiling collapsed collapsing overflowing
    overflowed sewage sewer toilet stopcock
    burgled burglary burglar burglars smashed broken intruder
    suicide suicidal myself overdose killing domestic violence violent abusive threatened threatening
    threatening strangled boyfriend husband partner neighbour neighbours unconscious breathing
    answering fallen elderly toddler children daughter
    emergency urgent please gas fire leak help kill water
    """
)

# Real words near a keyword, which spelling correction must leave alone. Found by running a large
# English word-frequency list through the corrector; add to it whenever a near-miss test shows an
# everyday word being "corrected" into a keyword.
PROTECTED: frozenset[str] = _words(
    """
    floor floors flooring floored flow flows flowed flop flopped flopping floss flossing flog flogged
    flogging fold folds folded folding floyd fired firing frames frame flares flakes flamer flamers
    sell sells seller selling spell spells spelled spelling shell shells shelled shelling swell swells
    swelled swelling smiled smiling smelting steel steels smalls stoke spoke sticks sinks sting stings
    stint stints slink
    willing winning wiping wipes wines wares wives wifes wining wiling wring warring
    leaving leading leased leasing leaping leaped leaned leaded leaker
    strange strangely stranded struggled stranges meeting melded melding
    bathing bleaching breaching berating breading chilling
    sharks spares sparing sparring spanked spanking spared sparky sparkle sparkling sparkly
    snitch swatch stitch seeker setter seer sever sewed skewer classed collared clapping hiring hiking
    ranging rigging rinsing pouting purring bedding begging betting beefing beeing broker fatten violet
    cartoon carton carboy diddy ditzy doozy burying burping angering overlooking overlooked overdone
    gaslighting bogan bogus mangas megas liveleak outburst seepage hosing whirring coiling carrion carryon
    carson clasped collated classing bleating defector dielectric waiter waiters wafer wafers wager wagers
    waker waste waxer wader waders
    """
)

# Words that mean "not" for the purpose of voiding a hit that follows them.
NEGATORS: frozenset[str] = _words("no not never without nor none nothing nobody neither zero")

# Words allowed between a negator and the words it voids ("can not smell any gas", "no sign of a leak",
# "no longer smell it"). Any other word ends the negation: "not working and smell gas" is not negated.
NEGATION_FILLERS: frozenset[str] = _words(
    """
    any a an the of more longer really much even got get getting have has had been able to detect
    notice noticed noticing hear heard see seen sign signs trace real actual strong bad there is are
    was were be do does did smelt smelled smell smelling
    """
)

# How many filler words may stand between a negator and the words it voids.
NEGATION_REACH = 3
