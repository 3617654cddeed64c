"""Rules for gas, carbon monoxide and fire: for review by the safety lead.

Judgement calls, so that a reviewer can disagree with them explicitly:

* Gas: "gas" needs a smell, leak, hiss, "rotten eggs" or a cry for help next to it; on its own it fires
  only as a very short message ("GAS!!", "gas help pls"). Routine uses consume the word: bill, meter
  reading, safety check, annual service, a gas cooker's knob or clock. A gas cooker that leaks still
  fires, as do hissing at a cooker or meter and a damaged gas pipe. A problem said to be fixed
  ("engineer fixed it", "no longer smell it") does not, unless it is back ("still", "again", "came
  back"). A hypothetical ("what should I do if I smell gas?") fires: the advice does no harm.
* Carbon monoxide: an alarm "going off", "sounding" or "ringing" fires whatever else is said, even "I
  think it's the battery": CO has no smell, so the alarm is the only warning and recall wins. An alarm
  that is only "beeping" or "chirping" fires too, unless a low or new battery is mentioned, because a
  chirp every minute is the low-battery signal. Symptoms (headaches, dizziness, feeling sick) next to
  a boiler, fire, heater or the heating fire, as do fumes, soot, and yellow or orange flames on such
  appliances; not when the heating is off and the household is cold. Requests for an alarm, its test
  or certificate do not fire. An unnamed alarm by the boiler that is going off counts as a CO alarm.
* Smoke alarms are the other way round: "beeping" alone is treated as the battery, because a real fire
  is seen or smelt; only "going off"/"sounding" fires, and not during a test, a drill or cooking, nor
  when the tenant calls it faulty. A sounding smoke alarm alone is not immediate; smoke or flames are.
* Fire: the word fires unless it is part of a compound that is not a fire (fire door, fire exit, fire
  alarm test, gas fire, electric fire, Amazon Fire stick). A fire that is over ("there was a fire last
  week") still fires, because fire damage is an emergency repair, but it is not immediate. Smoke that
  is somebody's cigarette, bonfire or chimney does not fire; 🔥 on its own does (recall wins over the
  slang sense "that's fire").
"""

from __future__ import annotations

from bot.safety.dangers import Danger, Rule

_OVER = ("@RESOLVED",)
_BACK = ("@RECURRING",)

_SMELL_OF_SOMETHING_ELSE = (
    "damp|musty|mouldy|mould|mold|drain|drains|food|cooking|weed|cannabis|cigarette|cigarettes|dog|cat"
    "|bins|rubbish|urine|wee|piss|fish|curry|paint|bleach|feet|sweat|sewage|sewer|poo smell|smells",
    "@SMELL of|like damp|mould|mold|drains|food|cooking|weed|cannabis|cigarettes|cigarette|dog|cat"
    "|bins|rubbish|urine|wee|piss|fish|curry|paint|bleach|feet|sweat|sewage|poo",
)

GAS_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.GAS,
        "gas smelt, leaking or hissing",
        ("@GAS", "@SMELL / @LEAK / @HISS"),
        window=8,
        not_part_of=("@GAS_ROUTINE", *_SMELL_OF_SOMETHING_ELSE),
        not_near=_OVER,
        unless_also=_BACK,
        reach=10,
    ),
    Rule(
        Danger.GAS,
        "smell of rotten eggs",
        ("@ROTTEN_EGG", "@SMELL"),
        window=6,
        not_near=("@DRAIN / @TOILET / sink|fridge|bin|bins|food|sewage|sewer", *_OVER),
        unless_also=("@GAS",),
        reach=6,
    ),
    Rule(
        Danger.GAS,
        "gas with a cry for help",
        ("@GAS", "@URGENT"),
        window=3,
        not_part_of=("@GAS_ROUTINE", "emergency credit / help with|paying|pay"),
    ),
    Rule(
        Danger.GAS,
        "gas in a very short message",
        ("@GAS",),
        not_part_of=("@GAS_ROUTINE",),
        alone_with="@FILLER / @URGENT / @HOME",
    ),
    Rule(
        Danger.GAS,
        "gas pipe or main damaged",
        (
            "@GAS pipe|pipes|main|mains|meter|supply|line is|has|was? been? burst|broken|damaged|cracked|split|hit"
            "|cut|snapped|leaking / burst|broken|damaged|cracked|split|snapped @GAS pipe|pipes|main|mains|line",
        ),
    ),
    Rule(
        Danger.GAS,
        "hissing from a gas appliance",
        ("@HISS", "cooker|hob|oven|meter|rings"),
        window=6,
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.GAS,
        "gas that will not turn off or is not lit",
        ("@GAS", "@NOT_ABLE|not turn|switch off / on and|but? no flame|flames / not lit|lighting / unlit"),
        window=7,
        not_part_of=("@GAS_ROUTINE", "gas boiler|boilers|heating|central|fire|heater|radiator|radiators"),
    ),
)

CO_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.CARBON_MONOXIDE,
        "carbon monoxide alarm sounding",
        ("@CO_ALARM", "@SOUNDING"),
        window=10,
        not_near=("@ALARM_TEST",),
        reach=6,
    ),
    Rule(
        Danger.CARBON_MONOXIDE,
        "carbon monoxide alarm beeping (not the battery)",
        ("@CO_ALARM", "@BEEPING"),
        window=10,
        not_near=("@LOW_BATTERY", "@ALARM_TEST"),
        unless_also=("@SOUNDING", "@SYMPTOM"),
        reach=14,
    ),
    Rule(
        Danger.CARBON_MONOXIDE,
        "an alarm by the boiler or fire sounding",
        ("alarm|alarms|detector|detectors", "@SOUNDING / @BEEPING", "@FUEL_APPLIANCE"),
        window=10,
        not_part_of=("@FIRE_ALARM", "burglar|car|house|intruder|security alarm|alarms"),
        not_near=("@LOW_BATTERY", "@ALARM_TEST"),
        unless_also=("@SOUNDING",),
        reach=12,
    ),
    Rule(
        Danger.CARBON_MONOXIDE,
        "carbon monoxide alarm in a very short message",
        ("@CO_ALARM",),
        alone_with="@FILLER / @URGENT / @HOME",
    ),
    Rule(
        Danger.CARBON_MONOXIDE,
        "carbon monoxide named",
        ("@CO_NAME",),
        not_part_of=(
            "@CO_ALARM",
            "@CO_NAME check|checks|certificate|test|testing|safety|awareness|leaflet|advice|information|info",
        ),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.CARBON_MONOXIDE,
        "symptoms near a fuel-burning appliance",
        ("@SYMPTOM", "@FUEL_APPLIANCE"),
        window=14,
        not_part_of=("sick|ill of / sick and tired / giving me a headache / headache of a|to", "@GAS_ROUTINE"),
        not_near=("cold|freezing|covid|virus|bug|migraine / no heating", *_OVER),
        unless_also=_BACK,
        reach=10,
    ),
    Rule(
        Danger.CARBON_MONOXIDE,
        "fumes, soot or a lazy flame at a fuel-burning appliance",
        (
            "fumes|exhaust|soot|sooty|scorch|scorched|scorching / black|brown sooty? marks|stains"
            " / yellow|orange|lazy|floppy flame|flames / flame|flames is|are|burning|burns? yellow|orange",
            "@FUEL_APPLIANCE / pilot",
        ),
        window=8,
        not_near=_OVER,
        unless_also=_BACK,
    ),
)

_FIRE_CALM = ("@FIRE_PAST",)
FIRE_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.FIRE,
        "fire named",
        ("@FIRE",),
        not_part_of=("@FIRE_NOT_A_FIRE", "@FIRE_ALARM"),
        immediate=True,
        calm_near=_FIRE_CALM,
        reach=10,
    ),
    Rule(
        Danger.FIRE,
        "flames",
        ("@FLAMES",),
        not_part_of=("@FIRE_NOT_A_FIRE",),
        not_near=("yellow|orange|blue|lazy|floppy|pilot / boiler|hob|cooker|burner|burners|ring|rings|heater|oven",),
        unless_also=("@TRAPPED / everywhere|spreading|huge|big|massive|coming|out",),
        immediate=True,
        calm_near=_FIRE_CALM,
        reach=4,
    ),
    Rule(
        Danger.FIRE,
        "smoke filling or pouring",
        ("@SMOKE", "@SMOKE_SPREAD"),
        window=6,
        not_part_of=("@FIRE_ALARM",),
        not_near=("@SMOKE_HABIT", "@ELEC_POINT"),
        immediate=True,
        calm_near=_FIRE_CALM,
        reach=5,
    ),
    Rule(
        Danger.FIRE,
        "smell of smoke or burning",
        ("@SMELL", "smoke|smoky|smokey|@BURNING"),
        window=4,
        not_part_of=("@FIRE_ALARM",),
        not_near=("@SMOKE_HABIT", "@COOKING", *_OVER),
        unless_also=_BACK,
        reach=6,
        yields_to=(Danger.ELECTRICAL,),
    ),
    Rule(
        Danger.FIRE,
        "something burning",
        ("@BURNING_THING", "is|are|was|its|it burning|ablaze|alight / burning|burnt|burned down"),
        window=6,
        immediate=True,
        yields_to=(Danger.ELECTRICAL,),
        calm_near=_FIRE_CALM,
        reach=10,
    ),
    Rule(
        Danger.FIRE,
        "smoke or fire alarm going off",
        ("@FIRE_ALARM", "@SOUNDING"),
        window=10,
        not_near=("@ALARM_TEST", "@COOKING", "@LOW_BATTERY", "no reason / false alarm|alarms / faulty|fault|nuisance"),
        reach=12,
    ),
    Rule(
        Danger.FIRE,
        "fire brigade called",
        ("@FIRE_BRIGADE",),
        not_near=(
            "fit|fitted|fitting|install|installed|installing|visit|visited|visiting|check|checked|checking"
            "|advice|leaflet|talk|safety|safe|inspection|inspect|assessment|test|testing",
        ),
        immediate=True,
        calm_near=_FIRE_CALM,
        reach=10,
    ),
    Rule(
        Danger.FIRE,
        "explosion",
        ("@EXPLOSION",),
        not_near=(
            "phone|messages|texts|inbox|email|emails|notifications|anger|angry|rage|head|prices|costs|rent|bill"
            "|tv|telly|laptop|computer|console|xbox|playstation|charger|speaker|kettle|toaster|bulb|fuse",
        ),
        immediate=True,
        calm_near=_FIRE_CALM,
        reach=4,
    ),
)

GAS_FIRE_RULES: tuple[Rule, ...] = GAS_RULES + CO_RULES + FIRE_RULES

# Context anywhere in the message that makes a found danger immediate (999 advice first).
GAS_FIRE_IMMEDIATE: dict[Danger, tuple[str, ...]] = {
    Danger.FIRE: ("@TRAPPED",),
    Danger.GAS: ("@EXPLOSION / bang / @SEVERE / @FIRE|@FLAMES / on fire",),
    Danger.CARBON_MONOXIDE: ("@SEVERE",),
}
