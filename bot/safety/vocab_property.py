"""Rules for hazards in and to the home: for review by the safety lead.

Judgement calls, so that a reviewer can disagree with them explicitly:

* Gas: "gas" needs a smell, leak, hiss, "rotten eggs" or a cry for help next to it; on its own it fires
  only as a very short message ("GAS!!", "gas help pls"). Routine uses consume the word: bill, meter
  reading, safety check, annual service, a gas cooker's knob or clock. A gas cooker that leaks still
  fires. A problem said to be fixed ("engineer fixed it", "no longer smell it") does not, unless it is
  back ("still", "again", "came back").
* Carbon monoxide: an alarm "going off", "sounding" or "ringing" fires whatever else is said, even "I
  think it's the battery": CO has no smell, so the alarm is the only warning and recall wins. An alarm
  that is only "beeping" or "chirping" fires too, unless a low or new battery is mentioned, because a
  chirp every minute is the low-battery signal. Symptoms (headaches, dizziness, feeling sick) next to
  a boiler, fire or heater fire, as do fumes, soot, and yellow or orange flames on such appliances.
  Requests for an alarm, its test or certificate do not fire.
* Smoke alarms are the other way round: "beeping" alone is treated as the battery, because a real fire
  is seen or smelt; only "going off"/"sounding" fires, and not during a test, a drill or cooking.
* Fire: the word fires unless it is part of a compound that is not a fire (fire door, fire exit, fire
  alarm test, gas fire, electric fire, Amazon Fire stick). A fire that is over ("there was a fire last
  week") still fires, because fire damage is an emergency repair, but it is not immediate.
* Electrical: sparks, smoke, burning, melting or crackling at a socket, switch, plug, fuse box or light;
  exposed or live wires; a shock; total loss of power. Loss of power that is about prepayment credit or
  one room ("no power in the kitchen") is not total and does not fire, unless the whole home is named.
* Flood: water pouring, gushing or coming through a ceiling, a burst pipe, water in a light fitting or
  socket, water that will not stop, a sagging ceiling. A slow drip, a damp patch, condensation and
  rain outside do not fire; neither do flood defences, flood grants or being flooded with emails.
* Sewage: sewage or a toilet overflowing, coming up or backing into the home. A smell of drains alone
  does not fire; the overflow pipe of a cistern is a routine repair.
* Insecure home: a front, back or patio door, or a ground-floor window, that is broken or will not
  lock; a break-in. Internal and communal doors, window catches and handles do not fire.
"""

from __future__ import annotations

from bot.safety.dangers import Danger, Rule

_OVER = ("@RESOLVED",)
_BACK = ("@RECURRING",)
_SMELL_OF_SOMETHING_ELSE = (
    "damp|musty|mouldy|mould|mold|drain|drains|food|cooking|weed|cannabis|cigarette|cigarettes|dog|cat"
    "|bins|rubbish|urine|wee|piss|fish|curry|paint|bleach|feet|sweat|sewage|sewer|poo smell|smells",
    "@SMELL of|like damp|mould|mold|drains|food|cooking|weed|cannabis|cigarettes|cigarette|smoke|dog|cat"
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
        not_near=(
            "yellow|orange|blue|lazy|floppy|pilot / boiler|hob|cooker|burner|burners|ring|rings|heater|oven",
        ),
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
        not_near=("@SMOKE_HABIT", "@ELEC_POINT", "@COOKING", *_OVER),
        unless_also=_BACK,
        reach=6,
    ),
    Rule(
        Danger.FIRE,
        "something burning",
        ("@BURNING_THING is|are|was? burning|ablaze|alight / burning|burnt|burned down",),
        not_near=("@ELEC_POINT",),
        immediate=True,
        calm_near=_FIRE_CALM,
        reach=10,
    ),
    Rule(
        Danger.FIRE,
        "smoke or fire alarm going off",
        ("@FIRE_ALARM", "@SOUNDING"),
        window=10,
        not_near=("@ALARM_TEST", "@COOKING", "@LOW_BATTERY"),
        unless_also=("@SMOKE_SPREAD",),
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
            "phone|messages|texts|inbox|email|emails|notifications|anger|angry|rage|head|prices|costs|rent|bill",
        ),
        immediate=True,
        calm_near=_FIRE_CALM,
        reach=4,
    ),
)

_NOT_ELECTRICAL_FIRE = (
    "fire exit|exits|door|doors|alarm|alarms|escape|safety|sign|signs|extinguisher|blanket|panel|test|testing|risk",
    "@FIRE_ALARM",
    "@ELEC_ROUTINE",
)
ELECTRICAL_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.ELECTRICAL,
        "sparks",
        ("@SPARK",),
        not_part_of=("spark plug|plugs / bright spark",),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.ELECTRICAL,
        "smoke, burning, melting or crackling at an electrical point",
        ("@ELEC_POINT", "@ELEC_HAZARD"),
        window=7,
        not_part_of=_NOT_ELECTRICAL_FIRE,
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.ELECTRICAL,
        "socket, plug or switch hot",
        (
            "socket|sockets|plug|plugs|switch|switches|wire|wires|wiring|cable|cables|extension / fuse box"
            " / consumer unit",
            "@HOT / hot",
        ),
        window=6,
        not_part_of=("@ELEC_ROUTINE",),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.ELECTRICAL,
        "exposed wires",
        ("@EXPOSED", "@WIRE"),
        window=4,
        not_near=("@NOT_ELECTRICS", *_OVER),
        unless_also=_BACK,
        reach=6,
    ),
    Rule(Danger.ELECTRICAL, "live wires", ("live @WIRE / @WIRE is|are? live",), not_near=("@NOT_ELECTRICS",)),
    Rule(
        Danger.ELECTRICAL,
        "electric shock",
        ("@SHOCK", "@ELEC_POINT / tap|taps|radiator|radiators|metal|bath|sink|cooker|oven|kettle|fridge|washing"),
        window=7,
        not_near=("bill|bills|price|prices|cost|costs|rent|charge|charges|statement|tariff",),
        reach=6,
    ),
    Rule(
        Danger.ELECTRICAL,
        "electrocuted",
        ("electrocuted|electrocution / electric shock|shocks",),
        not_near=("bill|bills|price|prices|cost|costs",),
        reach=4,
    ),
    Rule(
        Danger.ELECTRICAL,
        "total loss of power",
        (
            "no|lost|lose|losing|without|zero @POWER"
            " / @POWER is|are|has|have|had? been? completely|totally|all|just|now? @POWER_GONE"
            " / power cut|cuts|outage / blackout / all the|my? lights are|have|has|went? gone|off|out"
            " / lights have|has? gone|went out|off",
        ),
        not_part_of=(
            "@POWER_NOT_SUPPLY",
            "turn|turned|turning|switch|switched|switching|put|flick|flicked|flicking the|my? @POWER off|out",
        ),
        not_near=("@POWER_ROUTINE", "@POWER_PARTIAL"),
        unless_also=("@POWER_WHOLE",),
        reach=8,
    ),
    Rule(
        Danger.ELECTRICAL,
        "electrics trip and will not reset",
        (
            "trip|tripping|tripped|trips|rcd|breaker|breakers|electrics|fuse|fuses / trip switch|switches"
            " / fuse box / consumer unit",
            "@NOT_ABLE|not reset|resetting|stay|go|push|flick / keeps|keep tripping|going|dropping",
        ),
        window=7,
    ),
)

FLOOD_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.FLOOD,
        "flood named",
        ("@FLOOD",),
        not_part_of=("@FLOOD_NOT_A_FLOOD",),
        not_near=("@FLOOD_PAST", "@TOILET / @SEWAGE", "@IF_EVER", *_OVER),
        unless_also=_BACK,
        reach=6,
    ),
    Rule(
        Danger.FLOOD,
        "water pouring or gushing",
        ("@WATER_RUSH", "@WATER"),
        window=7,
        not_part_of=(
            "@RAIN_OUTSIDE",
            "@WATER_ROUTINE",
            "pouring|poured|pour a|me|myself|some|the? glass|cup|drink|cuppa|kettle|bucket|tea|coffee|pan|bowl",
        ),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.FLOOD,
        "burst pipe or tank",
        ("@BURST / bust|busted", "@PIPE"),
        window=5,
        not_part_of=("overflow pipe|pipes",),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.FLOOD,
        "water in a light fitting or socket",
        ("@WATER_FLOW", "@INTO the|my|a? @LIGHT_ELEC"),
        window=7,
        not_part_of=("@WATER_ROUTINE",),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.FLOOD,
        "water or leak that will not stop",
        ("water|leak|leaks|leaking|flooding", "@UNCONTROLLED"),
        window=6,
        not_part_of=("@WATER_ROUTINE",),
        not_near=("@DAMP_NOT_FLOOD", *_OVER),
        unless_also=_BACK,
        reach=6,
    ),
    Rule(
        Danger.FLOOD,
        "water coming through the ceiling",
        (
            "water|rain|rainwater|leak",
            "coming|pouring|gushing|streaming|running|flowing|cascading|leaking|pissing @INTO the|my|our? @CEILING",
        ),
        window=7,
        not_part_of=("@WATER_ROUTINE",),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.FLOOD,
        "ceiling failing with water",
        ("@CEILING", "@CEILING_FAIL", "@WET"),
        window=12,
    ),
    Rule(
        Danger.FLOOD,
        "ceiling bulging or sagging",
        ("@CEILING", "bulging|bulge|bulges|sagging|sags|bowing|ballooning"),
        window=6,
    ),
    Rule(
        Danger.FLOOD,
        "stopcock cannot be used during a leak",
        (
            "@STOPCOCK",
            "@NOT_ABLE find|turn|close|shut|move / stuck|seized|broken|snapped|jammed / where",
            "@WET / burst|leak|leaks",
        ),
        window=14,
    ),
)

SEWAGE_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.SEWAGE,
        "sewage coming into the home",
        ("@SEWAGE", "@OVERFLOWING"),
        window=8,
        not_part_of=("shit|crap service|landlord|housing|job|council|repair|repairs|company / load of shit",),
        not_near=("@ANIMAL_MESS", *_OVER),
        unless_also=_BACK,
        reach=6,
    ),
    Rule(
        Danger.SEWAGE,
        "toilet overflowing",
        ("@TOILET", "@TOILET_OVERFLOWING"),
        window=7,
        not_part_of=("overflow pipe|pipes / cistern overflow",),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.SEWAGE,
        "drains backing up into the home",
        ("@DRAIN", "@DRAIN_BACKING", "@INTO the|my|our? @HOME|bath|shower|sink / under the door"),
        window=12,
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.SEWAGE,
        "sewage in a very short message",
        ("sewage|sewer / raw sewage",),
        alone_with="@FILLER / @URGENT / @HOME / everywhere",
    ),
)

_NOT_THE_HOME = (
    "shed|garage|gate|car|van|bike|cupboard|wardrobe|bathroom|toilet|bedroom|communal|bin|store|locker|safe"
)
INSECURE_RULES: tuple[Rule, ...] = (
    Rule(Danger.INSECURE_HOME, "break-in", ("@BREAK_IN",), not_part_of=("@NOT_A_BREAK_IN",)),
    Rule(
        Danger.INSECURE_HOME,
        "outside door broken or will not lock",
        ("@EXT_DOOR", "@DOOR_BROKEN"),
        window=7,
        not_part_of=("@INNER_DOOR",),
        not_near=("@DOOR_MINOR", *_OVER),
        unless_also=("@CAN_NOT_SECURE / @NOT_ABLE|not lock|close|shut / kicked|smashed in", *_BACK),
        reach=4,
    ),
    Rule(
        Danger.INSECURE_HOME,
        "door forced",
        ("door|doors|@WINDOW", "kicked|smashed|booted|caved|forced in|open / off its|the? hinges / wide open"),
        window=6,
        not_part_of=("@INNER_DOOR",),
        not_near=(_NOT_THE_HOME,),
        reach=3,
    ),
    Rule(
        Danger.INSECURE_HOME,
        "door will not lock",
        (
            "door|doors|lock|locks",
            "@NOT_ABLE|not lock|locking|close|closing|shut|secure / no lock"
            " / lock is|has? broken|snapped|jammed|bust|busted",
        ),
        window=6,
        not_part_of=("@INNER_DOOR",),
        not_near=(_NOT_THE_HOME, "window|windows catch|handle|latch", "@DOOR_MINOR", *_OVER),
        unless_also=_BACK,
        reach=5,
    ),
    Rule(
        Danger.INSECURE_HOME,
        "home cannot be secured",
        ("@CAN_NOT_SECURE",),
        not_part_of=("@INNER_DOOR",),
        not_near=(_NOT_THE_HOME,),
        reach=4,
    ),
    Rule(
        Danger.INSECURE_HOME,
        "window smashed",
        ("@WINDOW", "@WINDOW_SMASHED"),
        window=7,
        not_near=(
            "car|van|bus|vehicle|windscreen|phone|screen|tv|telly|mirror|glasses|bottle|bottles|greenhouse|shed",
            *_OVER,
        ),
        unless_also=_BACK,
        reach=4,
    ),
    Rule(
        Danger.INSECURE_HOME,
        "ground-floor window broken or will not lock",
        ("@WINDOW", "@WINDOW_BROKEN", "@GROUND_FLOOR"),
        window=9,
        not_near=("@WINDOW_MINOR", "upstairs|first|second|third|top|loft", *_OVER),
        unless_also=("@CAN_NOT_SECURE", *_BACK),
        reach=5,
    ),
)

PROPERTY_RULES: tuple[Rule, ...] = (
    GAS_RULES + CO_RULES + FIRE_RULES + ELECTRICAL_RULES + FLOOD_RULES + SEWAGE_RULES + INSECURE_RULES
)

# Context anywhere in the message that makes a found danger immediate (999 advice first).
PROPERTY_IMMEDIATE: dict[Danger, tuple[str, ...]] = {
    Danger.FIRE: ("@TRAPPED",),
    Danger.GAS: ("@EXPLOSION / bang / @SEVERE / @FIRE|@FLAMES / on fire",),
    Danger.CARBON_MONOXIDE: ("@SEVERE",),
    Danger.ELECTRICAL: (
        "caught|on fire / @FLAMES / electrocuted / unconscious / @SEVERE",
        "burned|burnt|burns his|her|my|their hand|hands|arm|arms|finger|fingers",
    ),
    Danger.FLOOD: (
        "@CEILING collapsing|collapsed|caving|falling|coming / @CEILING is|has? caved|fallen|fell|come|coming in|down",
        "@TRAPPED",
    ),
    Danger.SEWAGE: (),
    Danger.INSECURE_HOME: (
        "is|are|still in|inside the|my|our? house|flat|home|property / in the house|flat|home now",
        "trying to get|break|kick in / breaking in / still here|there|inside / hiding / right now",
        "@NOT_ABLE get them out / can hear them",
    ),
}
