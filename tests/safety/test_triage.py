"""Safety triage: every danger phrasing must be caught, every near-miss must not be.

Phrasings are written the way tenants write on cheap phones: typos, no punctuation, capitals, text
speak, emoji, UK dialect, non-native English, voice-to-text slips, long messages with the danger at the
end, one-word messages. The safety messages these results lead to are the DOMAIN.md rule "Safety
messages the assistant gives at once (before anything else)".
"""

from __future__ import annotations

import random

import pytest

from bot.safety.triage import Danger, TriageResult, triage, triage_all

GAS = [
    "GAS!!",
    "GAS GAS GAS",
    "i can smel gas in the kitchen",
    "smell of gass in my hallway",
    "theres a reet strong smell o gas in ere",
    "smell gas in kitchen very strong what i do",
    "gasleak in flat 4 pls hurry",
    "I think there's a gas leak",
    "Hi sorry to bother you so late, I got back from my mums and when I opened the door there was a "
    "strong smell of gas in the hall",
    "stinks of gas on the landing",
    "cooker is hissing and it smells like gas",
    "GAS SMELL HELP",
    "my gas cooker is leaking gas",
    "can smeeell gas near the meter",
    "there is gas smell from boiler cupboard, I open window, what I must do",
    "strong smell like rotten eggs in the kitchen",
    "gas is escaping from the pipe behind the cooker",
    "u cud smell gas as soon as u walk in",
    "smelt gas all day and its getting worse",
    "the gas meter is hissing really loud",
    "i dont think its gas but there is a funny smell by the boiler, smells like gas a bit",
    "No, I can smell gas",
    "the engineer came yesterday and said he fixed it but I can still smell gas",
    "smelling gas in the stairwell outside flat 12",
    "gas hob left on no flame and i cant turn it off",
    "Gas. In the bedroom. Strong.",
    "there is a gas lake in my kitchen",
    "gas leek under the stairs",
    "gas emergency",
    "SMELLGAS",
    "aye theres a right whiff o gas in the close",
    "please help the smell of gas is very big in my home",
    "in my kitchen is gas smelling, what to do",
    "there is a smell of gas comma what do I do question mark",
    "gas pipe burst in the street outside",
    "hissing noise from the cooker pipe",
]

CARBON_MONOXIDE = [
    "carbon monoxide alarm going off",
    "CO alarm beeping and wont stop",
    "my carbon monoxid detector keeps going off",
    "the co2 alarm is screaming",
    "cabon monoxide alarm sounding in the hall",
    "CO alarm going off, might just be the battery",
    "monoxcide alarm beeping",
    "we all have headaches and feel dizzy when the boiler is on",
    "black soot marks round the gas fire and the flame is yellow",
    "think there's carbon monoxide in the flat",
    "the alarm next to the boiler is going off",
    "c.o. alarm going off!!",
    "the co alarm make noise all the time",
    "feeling dizzy and sick every time the heating comes on",
]

FIRE = [
    "FIRE FIRE FIRE",
    "theres a fire in the kitchen",
    "🔥🔥 in my flat help",
    "chip pan caught fire",
    "smoke pouring out the flat below",
    "flat next door is on fire",
    "the bins are on fire outside the block",
    "smoke everywhere on the landing cant breathe",
    "something is burning in the flat upstairs",
    "smoke alarms going off and i can smell smoke",
    "fier in the bedrooom",
    "flames coming out of the window upstairs",
    "ive called the fire brigade, the kitchen is full of smoke",
    "fire in the communal bin store",
    "my house is burning",
    "there was a fire last night and the kitchen is black, need it repaired",
    "the tumble dryer caught fire",
    "the flat of my neighbour is burning",
    "the smoke alarm is going of and theres smoke",
]

ELECTRICAL = [
    "socket is sparking",
    "sparks coming from the fuse box",
    "burning smell from the plug socket and its gone black",
    "light switch smoking",
    "wires hanging out of the ceiling",
    "bare wires sticking out the wall in the hall",
    "got an electric shock off the light switch",
    "no electric at all in the flat",
    "power has gone completely, whole flat dark",
    "trip switch wont reset and we have no power",
    "the socket is melting and crackling",
    "sparkin from the cooker switch",
    "lecky's gone in the whole house",
    "extension lead is red hot and smells of burning",
    "the electricity is finish in all the house",
    "the lecky's packed in completely",
]

FLOOD = [
    "burst pipe water everywhere",
    "water pouring through the ceiling",
    "water gushing from under the sink cant stop it",
    "kitchen is flooded",
    "flud in the bathroom",
    "water coming through the light fitting in the hall",
    "the tank in the loft has burst",
    "water dripping from the light in the living room",
    "ceiling bulging with water",
    "water is pissing through the roof",
    "rad valve snapped and water spraying everywhere",
    "massive leak from upstairs coming through my ceiling",
    "water running down the walls from the flat above and into the sockets",
    "cant find the stopcock and the pipe is leaking everywhere",
    "FLOODING!!!",
    "water is coming in through the ceiling from the upstairs flat",
    "my washing machine hose burst and the kitchen floor is under water",
    "water is coming very much from ceiling",
    "watters pishing through the ceiling",
]

SEWAGE = [
    "sewage coming up through the bath",
    "toilet overflowing everywhere",
    "raw sewage in the garden and coming under the back door",
    "poo water coming up the shower drain",
    "the loo is overflowing with poo",
    "sewerage all over the bathroom floor",
    "drains backing up into the kitchen",
    "💩 coming up the toilet",
    "toilet is blocked and spilling all over the floor",
    "my toilet is overflow",
]

INSECURE_HOME = [
    "front door kicked in",
    "back door wont lock",
    "my front door has been smashed and I cant lock it",
    "I've been burgled",
    "someone broke in last night",
    "ground floor window smashed",
    "cant secure the flat, the lock is broken",
    "the lock on the front door snapped, anyone could walk in",
    "patio door hanging off its hinges",
    "break in at my house",
    "someone is in my flat right now",
    "thief come in my house last night",
]

DOMESTIC_ABUSE = [
    "my partner hits me",
    "my boyfriend beat me up last night",
    "husband keeps threatening to kill me",
    "my ex is outside banging on the door saying hes going to kill me",
    "he punched me in the face and took my phone",
    "im scared of my partner, he wont let me leave the flat",
    "I need a refuge, domestic abuse",
    "my fella battered me again",
    "hubby is violent when he drinks",
    "my son keeps hitting me and taking my money",
    "dv victim need help to move",
]

SELF_HARM = [
    "i want to kill myself",
    "going to kill myself tonight",
    "I feel suicidal",
    "suicidle thoughts all the time",
    "dont want to be alive anymore",
    "im going to end it all",
    "ive taken a load of pills",
    "thinking of ending my life",
    "no point living anymore",
    "i self harm",
    "kms",
    "my daughter is cutting herself",
    "ahm gonna top masel",
    "I want to finish my life",
]

CHILD_AT_RISK = [
    "kids next door left home alone all night",
    "baby left on its own in the flat",
    "the neighbour is always hitting his kids",
    "toddler hanging out of the window upstairs",
    "I think the children upstairs are being neglected, they look starving",
    "little boy next door has bruises all over",
    "child on the window ledge 3rd floor",
    "young kids left alone for days with no food",
    "bairns left on their own again",
    "ma wean's been left in the hoose hersel",
    "child alone in flat crying many hours",
]

PERSON_AT_RISK = [
    "me nan's fell and she's not answering",
    "havent seen my neighbour for days",
    "old lady next door not seen in a week, post piling up",
    "my elderly neighbour has fallen and cant get up",
    "someone has collapsed in the stairwell",
    "man unconscious on the landing",
    "my neighbour threatened to kill me",
    "my dad isnt answering his phone or the door for 2 days, hes 80",
    "someone got stabbed outside the flats",
    "my mum is on the floor and not breathing",
    "neighbour came at me with a knife",
    "Mr Jones at 14 normally walks his dog every morning, not seen him since Tuesday",
    "me mam's took a tumble and cant get up",
    "my neibour hasnt been seen for dayz",
    "there's a fight with knives outside",
]

NEAR_MISSES = [
    "gas bill",
    "how much is my gas bill this month",
    "need to give my gas meter reading",
    "when is my gas safety check appointment",
    "annual gas service is due",
    "my gas cooker needs a new knob",
    "the fire door sign is faded",
    "fire alarm test on Tuesday",
    "fire extinguisher inspection in the block",
    "fire exit light flickering",
    "no smell of gas",
    "I don't smell gas anymore, engineer fixed it",
    "the gas leak was fixed yesterday, when can I get my cooker reconnected",
    "carbon monoxide alarm needs new battery",
    "co alarm is beeping every minute low battery",
    "water meter",
    "flood defence grant",
    "I'm dying to know my balance",
    "this rent is killing me",
    "can you kill the music next door pls",
    "my kids are driving me mad",
    "slow drip from the kitchen tap",
    "damp patch on the bedroom ceiling",
    "my ex is moving out",
    "there's no gas smell but the boiler is making a banging noise",
    "smoke alarm keeps beeping, think the battery is going",
    "can you fit a carbon monoxide detector in my flat",
    "the neighbours smoke weed and the smoke comes in my window",
    "my phone blew up with messages",
    "can I have a bonfire in the garden",
    "my gas fire isn't working",
    "electric fire not working",
    "the flooring in the hallway is lifting",
    "water pressure is low in the shower",
    "no hot water since monday",
    "it's pouring with rain, will the bin men still come",
    "pouring a glass of water while I wait on hold",
    "I got fired from my job so I'm struggling with rent",
    "fell behind with my rent",
    "the fence fell down in the wind",
    "i'm flooded with letters about arrears",
    "can I get flood insurance",
    "the light bulb has blown in the hall",
    "sparkling clean, the cleaners did a great job",
    "I can't cope with these debts",
    "my partner is on the tenancy, can I add him",
    "my husband passed away last month, what happens to the tenancy",
    "I want to end my tenancy",
    "can you kill the weeds in the communal garden",
    "the window catch is broken in the bedroom",
    "bathroom door lock is broken",
    "my front door is sticking and hard to open",
    "lost my keys, can you send a locksmith",
    "the kids were screaming playing in the garden",
    "hot water switch not working",
    "my gas and electric are with british gas",
    "need a gas safe engineer to look at the boiler",
    "the toilet overflow pipe is dripping outside",
    "condensation streaming down the windows every morning",
    "smell of damp in the bedroom",
    "power shower not working",
    "emergency credit on my gas meter has run out",
    "the lift is out of order again",
    "fire me over the details by email",
    "my neighbour's dog keeps pooing in the communal garden",
    "I hit my head on the cupboard door",
    "amazon fire stick not connecting to the wifi",
    "alright?",
    "nope",
    "haven't seen the engineer for weeks, when is he coming",
    "are my belongings covered if there's ever a flood",
    "want to change the flooring to laminate is that ok",
    "the smoke alarm in the hall needs a new battery",
    "the fireworks last night were so loud",
    "my tv has blown up",
    "smoke from the chimney next door comes in my window",
    "my basement floods every winter",
    "this mould is going to kill us all",
    "we lost power for an hour last night but its back now",
    "water pouring from the overflow pipe outside",
    "our car was broken into",
    "the fire alarm in the block keeps going off for no reason",
    "the toilet overflow is dripping outside",
    "my son lives alone",
    "the electric shower is not working",
    "no heating, kids feel sick with the cold",
    "boiler is making a hissing noise",
]

# Near-misses of one danger that are another, more specific, danger.
OTHER_DANGER = [
    ("smoke coming out of the plug socket", Danger.ELECTRICAL),
    ("burning smell from the socket", Danger.ELECTRICAL),
    ("toilet overflowing and flooding the bathroom", Danger.SEWAGE),
    ("my partner threatened to kill me", Danger.DOMESTIC_ABUSE),
    ("water coming through the light fitting and the lights are buzzing", Danger.FLOOD),
]


def _cases(phrasings: list[str], danger: Danger) -> list[pytest.param]:
    return [pytest.param(text, danger, id=f"{danger.value}:{text[:40]}") for text in phrasings]


DANGER_CASES = (
    _cases(GAS, Danger.GAS)
    + _cases(CARBON_MONOXIDE, Danger.CARBON_MONOXIDE)
    + _cases(FIRE, Danger.FIRE)
    + _cases(ELECTRICAL, Danger.ELECTRICAL)
    + _cases(FLOOD, Danger.FLOOD)
    + _cases(SEWAGE, Danger.SEWAGE)
    + _cases(INSECURE_HOME, Danger.INSECURE_HOME)
    + _cases(DOMESTIC_ABUSE, Danger.DOMESTIC_ABUSE)
    + _cases(SELF_HARM, Danger.SELF_HARM)
    + _cases(CHILD_AT_RISK, Danger.CHILD_AT_RISK)
    + _cases(PERSON_AT_RISK, Danger.PERSON_AT_RISK)
    + [pytest.param(text, danger, id=f"specific:{text[:40]}") for text, danger in OTHER_DANGER]
)


@pytest.mark.parametrize(("text", "danger"), DANGER_CASES)
def test_triage_names_the_danger_a_tenant_describes(text: str, danger: Danger) -> None:
    """A tenant in danger must get the DOMAIN.md safety message for that danger at once."""
    result = triage(text)
    assert result is not None, f"missed {danger.value}: {text!r}"
    assert result.danger is danger, f"{text!r} -> {result}"
    assert result.category == danger.category
    assert result.matched


@pytest.mark.parametrize("text", NEAR_MISSES, ids=[t[:40] for t in NEAR_MISSES])
def test_triage_ignores_routine_messages_that_share_danger_words(text: str) -> None:
    assert triage(text) is None, f"false alarm: {text!r} -> {triage_all(text)}"


def test_triage_covers_every_kind_of_danger_with_enough_phrasings() -> None:
    counts = {
        Danger.GAS: len(GAS),
        Danger.CARBON_MONOXIDE: len(CARBON_MONOXIDE),
        Danger.FIRE: len(FIRE),
        Danger.ELECTRICAL: len(ELECTRICAL),
        Danger.FLOOD: len(FLOOD),
        Danger.SEWAGE: len(SEWAGE),
        Danger.INSECURE_HOME: len(INSECURE_HOME),
        Danger.DOMESTIC_ABUSE: len(DOMESTIC_ABUSE),
        Danger.SELF_HARM: len(SELF_HARM),
        Danger.CHILD_AT_RISK: len(CHILD_AT_RISK),
        Danger.PERSON_AT_RISK: len(PERSON_AT_RISK),
    }
    assert set(counts) == set(Danger)
    assert min(counts.values()) >= 8
    assert len(NEAR_MISSES) >= 50


@pytest.mark.parametrize(
    ("danger", "category"),
    [
        (Danger.GAS, "emergency"),
        (Danger.CARBON_MONOXIDE, "emergency"),
        (Danger.FIRE, "emergency"),
        (Danger.ELECTRICAL, "emergency"),
        (Danger.FLOOD, "emergency"),
        (Danger.SEWAGE, "emergency"),
        (Danger.INSECURE_HOME, "emergency"),
        (Danger.DOMESTIC_ABUSE, "welfare"),
        (Danger.SELF_HARM, "welfare"),
        (Danger.CHILD_AT_RISK, "welfare"),
        (Danger.PERSON_AT_RISK, "welfare"),
    ],
)
def test_danger_category_separates_home_hazards_from_welfare(danger: Danger, category: str) -> None:
    assert danger.category == category


def test_triage_result_quotes_the_tenants_own_words() -> None:
    result = triage("theres a reet strong smell o gas in ere")
    assert result is not None
    assert result.matched == "smell o gas"


def test_triage_result_is_immutable() -> None:
    result = triage("gas leak")
    assert isinstance(result, TriageResult)
    with pytest.raises(AttributeError):
        result.danger = Danger.FIRE  # type: ignore[misc]


# ---------------------------------------------------------------- several dangers


def test_triage_all_returns_gas_and_electrical_when_both_are_described() -> None:
    dangers = [r.danger for r in triage_all("smell gas in the kitchen and the socket is sparking")]
    assert dangers == [Danger.GAS, Danger.ELECTRICAL]


def test_triage_all_returns_flood_and_electrical_for_water_in_sparking_fuse_box() -> None:
    dangers = {r.danger for r in triage_all("burst pipe and water pouring into the fuse box which is sparking")}
    assert dangers == {Danger.FLOOD, Danger.ELECTRICAL}


def test_triage_all_puts_self_harm_before_domestic_abuse() -> None:
    dangers = [r.danger for r in triage_all("my husband hits me and I want to kill myself")]
    assert dangers == [Danger.SELF_HARM, Danger.DOMESTIC_ABUSE]


def test_triage_all_orders_two_immediate_dangers_by_seriousness() -> None:
    results = triage_all("the house is on fire and my nan has collapsed")
    assert [r.danger for r in results] == [Danger.FIRE, Danger.PERSON_AT_RISK]
    assert all(r.immediate_danger for r in results)


def test_triage_all_puts_an_immediate_danger_before_a_more_serious_kind_that_is_not() -> None:
    text = "I can smell gas and my nan has fallen over in the hall"
    results = triage_all(text)
    assert [(r.danger, r.immediate_danger) for r in results] == [
        (Danger.PERSON_AT_RISK, True),
        (Danger.GAS, False),
    ]
    assert triage(text) == results[0]


def test_gas_with_someone_collapsed_is_immediate() -> None:
    """DOMAIN.md: "Fire or immediate danger to life: call 999" outranks the gas emergency line."""
    results = triage_all("I can smell gas and my neighbour has collapsed on the stairs")
    assert [(r.danger, r.immediate_danger) for r in results] == [
        (Danger.GAS, True),
        (Danger.PERSON_AT_RISK, True),
    ]


def test_triage_all_reports_each_kind_of_danger_once() -> None:
    results = triage_all("gas leak. smell of gas everywhere. GAS!!")
    assert [r.danger for r in results] == [Danger.GAS]


def test_triage_all_is_empty_for_a_routine_message() -> None:
    assert triage_all("when is my rent due") == []


# ---------------------------------------------------------------- immediate danger


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("going to kill myself tonight", Danger.SELF_HARM),
        ("ive swallowed all my tablets", Danger.SELF_HARM),
        ("my ex is outside the door threatening me, he is here now", Danger.DOMESTIC_ABUSE),
        ("he is hitting me right now", Danger.DOMESTIC_ABUSE),
        ("fire in the kitchen", Danger.FIRE),
        ("smoke filling the hall and the kids are trapped upstairs", Danger.FIRE),
        ("CO alarm going off and my son won't wake up", Danger.CARBON_MONOXIDE),
        ("someone is trying to break in right now", Danger.INSECURE_HOME),
        ("me nan's fell and she's not answering", Danger.PERSON_AT_RISK),
        ("toddler on the window ledge", Danger.CHILD_AT_RISK),
        ("gas smell and there was a loud bang", Danger.GAS),
        ("the ceiling is collapsing from the water", Danger.FLOOD),
    ],
)
def test_immediate_danger_is_flagged_so_999_advice_comes_first(text: str, danger: Danger) -> None:
    """DOMAIN.md: "Fire or immediate danger to life: call 999" comes before any other message."""
    result = triage(text)
    assert result is not None and result.danger is danger, result
    assert result.immediate_danger is True


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("sometimes I think about killing myself", Danger.SELF_HARM),
        ("I'm not suicidal but I'm really struggling", Danger.SELF_HARM),
        ("my ex hit me last year and I'm still scared", Danger.DOMESTIC_ABUSE),
        ("there was a fire last month and the kitchen still needs repairing", Danger.FIRE),
        ("I can smell gas in the hall", Danger.GAS),
        ("we were burgled last week and the back door still won't lock", Danger.INSECURE_HOME),
        ("havent seen my neighbour for days", Danger.PERSON_AT_RISK),
        ("burst pipe in the loft", Danger.FLOOD),
    ],
)
def test_danger_without_threat_to_life_right_now_is_not_immediate(text: str, danger: Danger) -> None:
    """DOMAIN.md: a gas smell gets the gas emergency number, not 999; past harm gets the helpline."""
    result = triage(text)
    assert result is not None and result.danger is danger, result
    assert result.immediate_danger is False


# ---------------------------------------------------------------- judgement calls


def test_co_alarm_going_off_is_an_emergency_even_if_tenant_blames_the_battery() -> None:
    """DOMAIN.md: "Carbon monoxide alarm: get everyone into fresh air, call 0800 111 999"."""
    result = triage("the carbon monoxide alarm is going off, probably just the low battery")
    assert result is not None and result.danger is Danger.CARBON_MONOXIDE


def test_co_alarm_chirping_for_a_low_battery_is_routine() -> None:
    assert triage("carbon monoxide alarm chirping, needs a new battery") is None


def test_gas_smell_that_came_back_after_a_fix_is_still_an_emergency() -> None:
    """DOMAIN.md: "Smell of gas: leave ... call the National Gas Emergency Service"."""
    result = triage("engineer fixed the leak on monday but the gas smell is back again")
    assert result is not None and result.danger is Danger.GAS


def test_gas_smell_said_to_be_fixed_is_not_an_emergency() -> None:
    assert triage("the gas smell has been sorted by the engineer, thanks") is None


def test_hedged_gas_report_still_counts() -> None:
    result = triage("not sure but i think i can smell gas")
    assert result is not None and result.danger is Danger.GAS


def test_voice_to_text_message_with_spoken_punctuation_is_read() -> None:
    result = triage("there is smoke coming out of the socket full stop what do I do question mark")
    assert result is not None and result.danger is Danger.ELECTRICAL


def test_long_message_with_context_before_the_danger_is_caught() -> None:
    text = (
        "Hello, I have been a tenant here for eleven years and I have never had to complain before. "
        "Last month I reported the gutter and nobody came, then the fence blew down and I had to wait "
        "six weeks. I am writing today because my husband noticed that the plug socket behind the "
        "television has gone black and there is a burning smell coming from it."
    )
    result = triage(text)
    assert result is not None and result.danger is Danger.ELECTRICAL


def test_capitals_accents_and_fullwidth_letters_are_normalised() -> None:
    assert triage("ＧＡＳ ＬＥＡＫ") is not None
    assert triage("smell of gás in the kitchen") is not None
    assert triage("SMELL OF GAS IN THE KITCHEN") is not None


def test_leetspeak_digits_inside_words_are_read_as_letters() -> None:
    result = triage("g4s l34k h3lp")
    assert result is not None and result.danger is Danger.GAS


# ---------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t\r", "😀😀😀", "!!!???...", "\ud800\udfff\ud83d", "\x00\x01\x02", "ﷺ 𝕏 ⁂ ‮ "],
)
def test_triage_returns_nothing_for_empty_or_meaningless_input(text: str) -> None:
    assert triage(text) is None
    assert triage_all(text) == []


def test_triage_reads_words_around_invalid_surrogates() -> None:
    result = triage("\ud800gas leak\udfff in the \udc00kitchen")
    assert result is not None and result.danger is Danger.GAS


def test_triage_reads_a_fire_emoji_on_its_own() -> None:
    result = triage("🔥")
    assert result is not None and result.danger is Danger.FIRE


def test_triage_survives_ten_thousand_characters_and_finds_danger_at_the_end() -> None:
    rng = random.Random(20240101)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz      .,!?'") for _ in range(10_000))
    assert isinstance(triage_all(noise), list)
    result = triage(noise + " smell of gas in the flat")
    assert result is not None and result.danger is Danger.GAS


def test_triage_survives_random_unicode() -> None:
    rng = random.Random(7)
    for _ in range(200):
        text = "".join(chr(rng.randrange(0x0, 0x2FFFF)) for _ in range(rng.randrange(0, 120)))
        assert isinstance(triage_all(text), list)


@pytest.mark.parametrize("value", [None, b"gas leak", 42, ["gas leak"], {"text": "gas"}])
def test_triage_rejects_input_that_is_not_text(value: object) -> None:
    with pytest.raises(TypeError):
        triage(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        triage_all(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "he has a knife",
        "my neighbour is waving a machete about on the landing",
        "someone is holding a gun outside the flats",
        "shes waving a knife at me",
        "hes got a knife",
        "hes outside with a knife",
        "they are outside the door with a machete",
    ],
)
def test_someone_with_a_weapon_is_a_person_at_risk(text: str) -> None:
    result = triage(text)
    assert result is not None and result.danger is Danger.PERSON_AT_RISK


@pytest.mark.parametrize("text", ["the kitchen knife drawer is broken", "i need a new knife block"])
def test_a_knife_as_a_household_item_is_not_danger(text: str) -> None:
    assert triage(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "im scared of him",
        "i am really scared of my neighbour",
        "the kids are terrified of him",
        "help he is here",
        "please help hes outside again",
    ],
)
def test_fear_of_a_person_or_a_cry_for_help_about_someone_here_is_a_person_at_risk(text: str) -> None:
    result = triage(text)
    assert result is not None and result.danger is Danger.PERSON_AT_RISK


def test_fear_with_a_partner_or_ex_mentioned_is_domestic_abuse() -> None:
    result = triage("my ex is outside and im scared")
    assert result is not None and result.danger is Danger.DOMESTIC_ABUSE


@pytest.mark.parametrize(
    "text",
    [
        "im scared of heights so cant clean the top windows",
        "my husband is scared of spiders, there are loads in the bath",
        "he is back from work, help with the boiler pls",
        "help me find my rent statement, he is here to read the meter",
        "i cut my finger with a knife opening the post",
    ],
)
def test_everyday_fear_or_help_is_not_danger(text: str) -> None:
    assert triage(text) is None
