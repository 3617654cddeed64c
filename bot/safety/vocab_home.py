"""Rules for electrics, water, sewage and security of the home: for review by the safety lead.

Judgement calls, so that a reviewer can disagree with them explicitly:

* Electrical: sparks, smoke, burning, melting or crackling at a socket, switch, plug, fuse box or light;
  exposed or live wires; a shock; total loss of power. Loss of power that is about prepayment credit or
  one room ("no power in the kitchen") is not total and does not fire, unless the whole home is named.
  Power that is said to be back on does not fire.
* Flood: water pouring, gushing or coming through a ceiling, a burst pipe, water that will not stop, a
  sagging ceiling. Water in a light fitting or socket fires even when it only drips, because of the
  electrics; it is reported as a flood (the safety advice starts with turning the electricity off),
  and as electrical too when sparking is mentioned. A slow drip elsewhere, a damp patch, condensation,
  rain outside, a gutter or an overflow pipe pouring outside do not fire; neither do flood defences,
  flood insurance, "floods every winter" or being flooded with emails.
* Sewage: sewage or a toilet overflowing, coming up or backing into the home. A smell of drains alone
  does not fire; the overflow pipe of a cistern is a routine repair. A toilet that floods the bathroom
  is reported as sewage rather than flood.
* Insecure home: a front, back or patio door, or a ground-floor window, that is broken or will not
  lock; a break-in. Internal and communal doors, sheds, gates, cars, window catches and handles do not
  fire. A door that "won't lock" or "won't close" with no room named fires: it is usually the way in.
"""

from __future__ import annotations

from bot.safety.dangers import Danger, Rule

_OVER = ("@RESOLVED",)
_BACK = ("@RECURRING",)

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
            "no|lost|lose|losing|without|zero all|the|my|our|any? @POWER"
            " / @POWER is|are|has|have|had? been? completely|totally|all|just|now? @POWER_GONE"
            " / power cut|cuts|outage / blackout / all the|my? lights are|have|has|went? gone|off|out"
            " / lights have|has? gone|went out|off",
        ),
        not_part_of=(
            "@POWER_NOT_SUPPLY",
            "turn|turned|turning|switch|switched|switching|put|flick|flicked|flicking the|my? @POWER off|out",
        ),
        not_near=(
            "@POWER_ROUTINE",
            "@POWER_PARTIAL",
            "back on|now / come|came|is|its back on? / restored / working again",
            *_OVER,
        ),
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
        not_near=("@FLOOD_PAST", "@IF_EVER", *_OVER),
        unless_also=(*_BACK, "now / today / tonight / at the moment"),
        reach=6,
        yields_to=(Danger.SEWAGE,),
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
        not_near=("@OUTSIDE_WATER", *_OVER),
        unless_also=("@INDOORS", *_BACK),
        reach=6,
    ),
    Rule(
        Danger.FLOOD,
        "burst pipe or tank",
        ("@BURST / bust|busted", "@PIPE"),
        window=7,
        not_part_of=("overflow pipe|pipes", "@GAS pipe|pipes|main|mains"),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.FLOOD,
        "water in a light fitting or socket",
        ("@WATER_FLOW", "@INTO the|my|a? @LIGHT_ELEC"),
        window=14,
        not_part_of=("@WATER_ROUTINE",),
        not_near=_OVER,
        unless_also=_BACK,
    ),
    Rule(
        Danger.FLOOD,
        "water or leak that will not stop",
        ("water|leak|leaks|leaking|flooding", "@UNCONTROLLED"),
        window=6,
        not_part_of=("@WATER_ROUTINE", "@GAS @LEAK / leaking gas"),
        not_near=("@DAMP_NOT_FLOOD", *_OVER),
        unless_also=_BACK,
        reach=6,
    ),
    Rule(
        Danger.FLOOD,
        "water coming through the ceiling",
        (
            "water|rain|rainwater|leak",
            "coming|pouring|gushing|streaming|running|flowing|cascading|leaking|pissing _? _? @INTO the|my|our?"
            " @CEILING",
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

_NOT_THE_HOME = "shed|garage|gate|car|van|bike|cupboard|wardrobe|bathroom|toilet|bedroom|communal|bin|store|locker|safe"
INSECURE_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.INSECURE_HOME,
        "break-in",
        ("@BREAK_IN",),
        not_part_of=("@NOT_A_BREAK_IN",),
        not_near=("car|cars|van|vehicle|shed|garage|bike|locker|meter|mailbox|postbox|lorry|motor",),
        unless_also=("house|flat|home|property|door|window|windows",),
        reach=3,
    ),
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

HOME_RULES: tuple[Rule, ...] = ELECTRICAL_RULES + FLOOD_RULES + SEWAGE_RULES + INSECURE_RULES

# Context anywhere in the message that makes a found danger immediate (999 advice first).
HOME_IMMEDIATE: dict[Danger, tuple[str, ...]] = {
    Danger.ELECTRICAL: (
        "caught|on fire / @FLAMES / electrocuted / unconscious / @SEVERE",
        "burned|burnt|burns his|her|my|their hand|hands|arm|arms|finger|fingers",
    ),
    Danger.FLOOD: (
        "@CEILING is|has|was|been? collapsing|collapsed|caving / @CEILING is|has|was|been? caved|falling|fallen|fell"
        "|come|coming in|down",
        "@TRAPPED",
    ),
    Danger.SEWAGE: (),
    Danger.INSECURE_HOME: (
        "is|are|still in|inside the|my|our? house|flat|home|property / in the house|flat|home now",
        "trying to get|break|kick in / breaking in / still here|there|inside / hiding / right now",
        "@NOT_ABLE get them out / can hear them",
    ),
}
