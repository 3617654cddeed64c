"""Named word classes shared by the safety rules: for review by the safety lead.

Each class is a tuple of patterns in the phrase language of `bot.safety.patterns`; rules refer to a
class as "@NAME". Words are given after normalisation (lower case, "can't" -> "can not", "dont" ->
"do not", "u" -> "you", "'s" dropped unless it means "is"), so write "can not", never "can't".
Misspellings of words of five letters or more need not be listed: spelling correction maps them here.
"""

from __future__ import annotations


def _w(words: str) -> tuple[str, ...]:
    """Turn a whitespace-separated list of single words into class entries."""
    return tuple(words.split())


CLASSES: dict[str, tuple[str, ...]] = {
    # ---------------------------------------------------------------- general
    "URGENT": _w("help emergency urgent urgently asap quick quickly danger dangerous 999 sos scared panicking")
    + _w("panic hurry immediately terrified worried frightened afraid"),
    # Words a very short message may contain besides the danger itself ("GAS!! help pls").
    "FILLER": _w("a an the there is its it i am have got my me in here flat house home kitchen now please")
    + _w("omg oh god ffs hi hello hiya think can we our this and of what do really very so strong bad")
    + _w("smell smelling everywhere alert warning"),
    "HOME": _w("house flat home property place kitchen bathroom bedroom hall hallway lounge room loft")
    + ("living room",),
    "NOT_ABLE": ("can not / could not / will not / would not / does not / did not / unable to / not able to",),
    # Things that mean the problem is over. Negated matches ("has not been fixed") do not count.
    "RESOLVED": (
        "been|was|were|is|are|got|now|has|have|had|they|he|she|engineer|engineers|plumber|electrician"
        " fixed|sorted|repaired|resolved|capped",
        "fixed|sorted|resolved|repaired now / all sorted|fixed",
        "all|everything|it|its fine|good|ok|okay|safe now / it is fine|good|ok|okay|safe now",
        "made it|the|everything? safe / no longer / not anymore / not any more / gone now / gone away",
        "went away / disappeared / cleared up / dealt with / false alarm / was nothing / turned out to be",
        "smell|leak|water|it has|is? gone|stopped / has stopped / stopped now",
    ),
    # Things that mean it has come back: they cancel RESOLVED ("fixed it but I can still smell gas").
    "RECURRING": _w("still again back returned returning worse recurring")
    + ("came|coming|come back / keeps coming|happening / not fixed / but now / since then",),
    # ---------------------------------------------------------------- gas
    "GAS": _w("gas gases gasses gassy lpg methane propane butane calor"),
    "SMELL": _w("smell smells smelling smelled smelt smelly stink stinks stinking stank stench whiff whiffs")
    + _w("whiffy odour odor odours odors reek reeks reeking pong pongs ponging niff scent"),
    "LEAK": _w("leak leaks leaking leaked leakage lake escaping escape escaped seeping")
    + ("coming out / coming out of / pouring out",),
    "HISS": _w("hiss hissing hisses hissed"),
    "ROTTEN_EGG": ("rotten|bad egg|eggs / eggy / sulphur / sulfur",),
    # Uses of "gas" that are about money, paperwork or routine visits: they consume the word "gas".
    "GAS_ROUTINE": (
        "gas bill|bills|account|tariff|tariffs|price|prices|supplier|suppliers|company|card|key|credit"
        "|top|topup|reading|readings|safety|service|servicing|serviced|check|checks|cert|certificate"
        "|inspection|appointment|contract|debt|arrears|payment|payments|standing|direct|deal|usage",
        "gas meter reading|readings|number|card|key|top",
        "gas and electric|electricity / gas or electric / electric|electricity and gas",
        "gas safe / gas mark / annual gas / gas cooker knob|knobs|door|clock|timer|light|handle",
    ),
    # ---------------------------------------------------------------- carbon monoxide
    "CO_NAME": ("carbon? monoxide / carbon dioxide / co poisoning / carbon poisoning / monoxide poisoning",),
    "ALARM_DEVICE": _w("alarm alarms detector detectors monitor monitors sensor sensors tester"),
    "CO_ALARM": (
        "carbon? monoxide @ALARM_DEVICE / carbon dioxide @ALARM_DEVICE / co @ALARM_DEVICE",
        "carbon @ALARM_DEVICE / gas @ALARM_DEVICE",
        "@ALARM_DEVICE for|about the? carbon? monoxide|co",
    ),
    "SOUNDING": (
        "going|gone|went|goes|gos|go off|of / going|gone|goes mad|crazy|nuts|mental",
        "set off / not stopping / non stop / nonstop / will not stop|shut|turn / can not stop|shut|turn",
    )
    + _w("sounding sounded sounds ringing rang rings screaming screeching shrieking blaring wailing")
    + _w("alarming triggered activated loud loudly"),
    "BEEPING": _w("beeping beeps beeped beep bleeping bleeps bleep peeping pinging chirping chirps chirp")
    + ("make|makes|making a? noise|noises|sound|sounds",),
    "LOW_BATTERY": (
        "low|new|flat|dead|spare battery|batteries|batt / change|replace|replacing|changing the? battery|batteries",
        "battery|batteries is|are? low|flat|dying|dead|going|running|needs|need",
        "chirp|chirps|chirping / end of life / expired / out of date",
    ),
    "SYMPTOM": _w("headache headaches dizzy dizziness nausea nauseous drowsy drowsiness vomiting faint fainting")
    + _w("breathless confused confusion lightheaded")
    + (
        "feel|feeling|felt|being|been|am|are|all sick|ill|unwell|funny|rough / throwing up",
        "short of breath / shortness of breath / flu like / chest pains|pain / blurred vision / light headed",
    ),
    "FUEL_APPLIANCE": _w("boiler boilers flue flues heater heaters stove stoves burner fireplace chimney hob heating")
    + _w("cooker geyser")
    + ("gas fire|heater|cooker|hob|oven|boiler / wood|log burner / back boiler / water heater",),
    "SEVERE": _w("unconscious collapsed fainted unresponsive seizure")
    + (
        "passed out / not breathing / stopped breathing / @NOT_ABLE breathe / not responding",
        "not waking|moving / @NOT_ABLE wake|waking / hard|difficult to wake|waking / not waking up",
    ),
    # ---------------------------------------------------------------- fire
    "FIRE": _w("fire fires ablaze blaze blazing alight inferno"),
    "FLAMES": _w("flame flames"),
    "FIRE_NOT_A_FIRE": (
        "fire door|doors|exit|exits|escape|escapes|alarm|alarms|extinguisher|extinguishers|blanket|blankets"
        "|safety|risk|risks|assessment|assessments|drill|drills|test|tests|testing|regulations|regs"
        "|regulation|officer|officers|inspection|inspections|station|place|places|surround|stick|tv|pit"
        "|proof|resistant|retardant|rated|check|checks|certificate|strategy|plan|notice|notices|sign|signs"
        "|signage|panel|panels|stopping|stop|stops|break|warden|wardens|marshal|point|points|hose|hoses"
        "|hydrant|bell|bells|brick|bricks|guard|grate|screen|seal|seals|strip|strips|sprinkler|sprinklers"
        "|detector|detectors|prevention|precautions|procedure|procedures|evacuation|curtain|shutter"
        "|damper|dampers|lighter|lighters|starter|starters|wood|logs|log|service|services|brigade"
        "|fighters|fighter|crew|department|engine|engines|risks|hazard|hazards|training|awareness",
        "gas|electric|electrical|coal|open|real|log|camp|kindle|amazon|feature|fake|gel|bio|rapid|quick"
        "|cross|friendly|gun|under|sure fire|fires",
        "living flame|flames / flame effect / fire me|us|over|across|off|away",
        "yellow|orange|blue|lazy|floppy|pilot|weak|low|small flame|flames on|in|from? the? my? "
        "boiler|hob|cooker|gas|burner|burners|ring|rings|heater|fire|oven",
        "boiler|hob|cooker|burner|ring|heater|oven|pilot flame|flames / pilot light|flame",
        "flame|flames on|in the? boiler|hob|cooker|heater is|are? yellow|orange|lazy|floppy",
    ),
    "SMOKE": _w("smoke smokey smoky"),
    "SMOKE_SPREAD": _w("coming came pouring billowing bellowing filling filled fills full everywhere thick black")
    + _w("grey clouds cloud lots loads choking coughing seeping spreading pumping")
    + (
        "@NOT_ABLE breathe|see / under the? my? door / coming in|through|out / there is|was|are",
        "from|in the|my? flat|kitchen|loft|roof|window|windows|downstairs|upstairs|building|block"
        "|stairs|stairwell|hall|hallway|corridor|landing|bin|bins|chute|garage|shed|cooker|oven"
        "|boiler|extractor|vent|hatch|room|bedroom|lounge",
        "from next door / next door",
    ),
    # Smoke that is somebody's habit or hobby rather than a fire.
    "SMOKE_HABIT": _w("cigarette cigarettes ciggies ciggie cig cigs fag fags weed cannabis skunk spliff spliffs")
    + _w("joint joints vape vaping vapes shisha smoker smokers smoking tobacco incense candle candles")
    + _w("bbq barbecue barbeque bonfire bonfires burner drugs pot chimney chimneys stove"),
    "BURNING": _w("burning burnt burned scorching singeing singed"),
    "BURNING_THING": _w("something house flat home building block kitchen room roof loft bins bin car cars shed")
    + _w("garage stairs bedroom hallway everything")
    + ("next door",),
    "FIRE_ALARM": (
        "smoke|fire|heat alarm|alarms|detector|detectors / fire bell|bells",
        "alarms|alarm in the building|block|corridor|flats / building|communal alarm|alarms",
    ),
    "ALARM_TEST": (
        "alarm|alarms|bell|bells test|tests|testing|tested / testing|test|tests the? fire|smoke? alarm|alarms",
        "drill / drills / weekly test / being tested / test on|every|at|each",
    ),
    "COOKING": _w("cooking cook cooked cooks toast toaster steam steamy shower showering bath kettle frying")
    + _w("oven grill grilling roast dinner tea chips bacon pan"),
    "FIRE_BRIGADE": ("fire brigade|service|services|engine|engines|crew|crews|department / fireman",),
    "EXPLOSION": _w("explosion explosions exploded explode exploding blast") + ("blew|blown up",),
    # Said of a fire that is over: the report stands (fire damage is an emergency repair) but it is no
    # longer a call for 999.
    "FIRE_PAST": _w("yesterday ago earlier previous recent recently damage damaged aftermath insurance claim")
    + (
        "there was|had a? / we had / had a / after|since the / last night|week|month|year|weekend",
        "put|is|was|went|been|gone it? out / out now / burnt|burned out",
    ),
    "TRAPPED": (
        "trapped / stuck inside|in|upstairs / @NOT_ABLE get out / people|kids|someone still? inside",
        "people|kids|someone still? in there",
        "spreading / getting worse|bigger",
    ),
    # ---------------------------------------------------------------- electrical
    "SPARK": _w("spark sparks sparking sparked arcing arced arc arcs"),
    "ELEC_POINT": _w("socket sockets plug plugs switch switches fuse fuses breaker breakers wire wires wiring")
    + _w("cable cables electrics electric electrical electricity outlet outlets extension fitting fittings")
    + _w("light lights lamp bulb immersion isolator spur heater heaters")
    + (
        "fuse box / consumer unit / trip switch|switches / circuit breaker / light switch|fitting",
        "ceiling light|rose / meter box / electric meter / shaver point / cooker switch / pull cord",
    ),
    "ELEC_HAZARD": _w("smoking smoke smoked smokes burning burnt burned melted melting melt melts scorched")
    + _w("scorch scorching charred blackened crackling crackle crackles crackled fizzing fizz fizzes")
    + _w("sizzling sizzle popping pop popped pops bang banged exploded explode flames fishy")
    + ("gone|turned|going black / black|scorch|burn marks / caught fire / on fire / electrical smell",),
    "HOT": ("too|very|really|red|boiling|burning? hot / hot to the? touch",),
    # "Hot water" and blown bulbs are routine even next to a switch or light.
    "ELEC_ROUTINE": (
        "hot water / hot tap / burnt|burned out? bulb|bulbs / bulb|bulbs burnt|burned|gone|blown",
        "burnt|burned out / blown bulb|bulbs",
    ),
    "EXPOSED": _w("exposed bare dangling loose showing visible")
    + ("hanging out|down|from|loose? / sticking|poking|coming out / out of the wall|ceiling",),
    "WIRE": _w("wire wires wiring cable cables"),
    "NOT_ELECTRICS": _w("tv aerial sky virgin broadband internet wifi phone telephone bt router satellite dish")
    + _w("speaker speakers doorbell fence charger headphones hdmi ethernet coax washing line"),
    "SHOCK": _w("shock shocks electrocuted electrocution zapped zap tingle tingling") + ("got a shock",),
    "POWER": _w("power powers electric electricity electrics"),
    "POWER_GONE": (
        "gone|off|out|down|died|dead|tripped|failed|cut|lost|finish|finished|stopped / cut off",
        "gone|went|going off|out|down / packed|packing|conked in|up|out / not working",
    ),
    # "No power" that is about credit on a prepayment meter, or only part of the home.
    "POWER_ROUTINE": _w("credit bill bills arrears payment tokens vend supplier key card pay paid")
    + ("top up|ups / topup / emergency credit",),
    "POWER_PARTIAL": _w("only just some half one two few certain upstairs downstairs shower cooker oven socket")
    + _w("bedroom kitchen bathroom hallway landing stairwell communal corridor")
    + ("street light|lights / in the|my lounge|loft|hall|garden|shed",),
    "POWER_WHOLE": _w("whole entire all everything completely totally anything") + ("at all / nothing works",),
    "POWER_NOT_SUPPLY": (
        "power shower|showers|of|steering|bank|banks|tool|tools|washer|point|points|nap|station|stations",
    ),
    # ---------------------------------------------------------------- water
    "FLOOD": _w("flood floods flooding flooded deluge submerged underwater") + ("under water",),
    "FLOOD_NOT_A_FLOOD": (
        "flood|floods|flooding defence|defences|defense|defenses|risk|risks|insurance|zone|zones|grant"
        "|grants|warning|warnings|alert|alerts|barrier|barriers|light|lights|lit|plain|plains|area|areas"
        "|map|protection|resilience|gate|gates|prevention|board|bag|bags|sack|sacks|survey|report|money",
        "floodlight|floodlights / flood lit",
        "flood|flooded|flooding|floods with|by|of calls|emails|messages|complaints|light|sunlight"
        "|applications|requests|memories|texts|letters|tears|work|orders|people",
    ),
    # A flood that has not happened: insurance questions and "what if".
    "IF_EVER": _w("ever covered insured insurance cover") + ("in case of / in the event of / if there is|was a",),
    "FLOOD_PAST": (
        "last year|winter|summer|month|autumn|spring / years|months ago / previously / history of",
        "before we moved / prone to / risk of / used to / in the past",
        "every winter|year|autumn|spring|summer|time / whenever|when it rains",
    ),
    "WATER": _w("water rain rainwater leak leaks leaking pipe pipes tank ceiling roof tap taps radiator cistern")
    + _w("toilet bath sink washing boiler"),
    "WATER_RUSH": _w("pouring pours poured gushing gushes gushed cascading cascades spraying sprays sprayed")
    + _w("spurting spurts pissing pumping rushing flowing torrent torrents waterfall fountain streaming")
    + ("like a tap|river|waterfall|fountain|hose / coming in|through|down fast|quick|quickly|rapidly",),
    # Water outside the home (a gutter or overflow pipe) is a routine repair unless it comes in.
    "OUTSIDE_WATER": _w("gutter gutters downpipe drainpipe overflow path street road pavement outside"),
    "INDOORS": _w("ceiling ceilings inside indoors light lights socket sockets electrics kitchen bathroom bedroom")
    + _w("lounge hall hallway stairs loft")
    + ("into|in the|my house|flat|home|room / through the|my wall|walls|roof|window",),
    "RAIN_OUTSIDE": (
        "pouring|pissing|bucketing|chucking it down / pouring|pissing down|with rain / raining",
        "streaming|running down the? windows|window|glass",
    ),
    "WATER_ROUTINE": (
        "water bill|bills|rates|meter|meters|pressure|charges|softener|board|company|supplier|bottle|butt"
        "|feature|account|usage",
    ),
    "LIGHT_ELEC": _w("light lights fitting fittings lightbulb bulb bulbs spotlight spotlights downlight")
    + _w("downlights socket sockets electrics plug plugs switch switches electric electrical")
    + ("light fitting|switch / ceiling light|rose / fuse box / consumer unit",),
    "INTO": _w("through from into in inside round around behind near onto on over thru") + ("out of / out",),
    "WATER_FLOW": _w("water leak leaks leaking dripping drips"),
    "UNCONTROLLED": _w("uncontrollable everywhere rising massive huge major serious")
    + (
        "@NOT_ABLE|not stop|stopping / all over the? my? floor|place|flat|house|kitchen|bathroom|carpet"
        "|carpets|hall|floors",
        "inches of? water? / ankle|knee deep / up to my? ankles|knees / like a river",
        "really|very|so bad",
    ),
    "DAMP_NOT_FLOOD": _w("condensation windowsill windows sweating mould mold damp") + ("window sill",),
    "BURST": _w("burst bursted split snapped ruptured") + ("blew|blown|come|came off",),
    "PIPE": _w("pipe pipes tank tanks cylinder hose radiator rad rads radiators flexi valve joint")
    + ("water main|mains",),
    "CEILING": _w("ceiling ceilings sealing celing cieling roof"),
    "CEILING_FAIL": _w("collapsed collapsing collapse caved caving bulging bulge bulges sagging sags bowing")
    + _w("ballooning")
    + ("falling|fell|fallen|come|coming|came in|down / hole in",),
    "WET": _w("water leak leaking wet soaked soaking dripping pouring gushing flooding flooded"),
    "STOPCOCK": ("stopcock|stopcocks / stop tap|cock|valve",),
    # ---------------------------------------------------------------- sewage
    "SEWAGE": _w("sewage sewer sewers poo poos poop faeces feces excrement shit turds")
    + ("human waste / raw sewage / toilet|poo|foul|brown|black|dirty water",),
    "OVERFLOWING": _w("overflowing overflowed overflows pouring flooding flooded everywhere leaking spilling")
    + _w("spilled spilt spewing gushing rising")
    + (
        "over flowing / coming|come|came|back|backing|backed|bubbling up / up through",
        "coming|come|came out / all over / on|through|across|over the floor / under the door",
        "in|into the|my? bath|shower|sink|kitchen|garden|house|flat|hall|hallway|floor|bathroom"
        "|bedroom|carpet|home|room",
        "up the|my? bath|shower|sink|plughole|drain|toilet|manhole|plug",
        "out of the|my? bath|shower|sink|plughole|drain|toilet|manhole|plug",
    ),
    "ANIMAL_MESS": _w("dog dogs cat cats fox foxes pigeon pigeons bird birds fouling seagull seagulls"),
    "TOILET": _w("toilet toilets wc lavatory khazi") + ("toilet pan",),
    "TOILET_OVERFLOWING": ("is|keeps|its|it|keep overflow",)
    + _w("overflowing overflowed spilling spilled spilt spewing everywhere flooding flooded")
    + _w("pouring gushing spraying spurting")
    + ("over flowing / coming|come|came|backing|backed|bubbling up / pouring|coming out / all over the? floor",),
    "DRAIN": _w("drain drains manhole manholes plughole gully sewer sewers") + ("plug hole",),
    "DRAIN_BACKING": (
        "backing|backed|coming|came|bubbling up / overflowing / overflowed / flooding / flooded / spilling",
    ),
    # ---------------------------------------------------------------- security
    "BREAK_IN": _w("burgled burglary burglaries burglar burglars intruder intruders ransacked")
    + (
        "break|breaks in|ins / broke|breaking in / broken|broke|breaking into / been broken in / forced entry",
        "forced the|my|our? door|window|lock|way open|in?",
        "someone|somebody has|had? got|been|broke|came|come|walked|get in my|the|our house|flat|home",
        "house|flat|home|property was|got|been|has|had? been? robbed|broken",
        "someone|somebody|stranger|strangers|intruder|intruders is|are|has|have got? in|inside my|our house|flat|home",
        "thief|thieves|robber|robbers|someone|somebody come|came|got|get|broke in|into my|the|our? house|flat|home",
        "broken|smashed|kicked|forced|damaged by a|the? thief|thieves|burglar|burglars|robber|robbers",
    ),
    "NOT_A_BREAK_IN": (
        "break|breaks in the|my|our|his|her? payment|payments|rent|claim|benefits|service|tenancy|employment"
        "|work|contract|clouds|weather|rain|pay",
        "broke|broken|break into|in half|two|pieces|bits|three",
        "burglar alarm|alarms / lucky break",
    ),
    "EXT_DOOR": (
        "front|back|main|flat|entrance|external|outside|outer|patio|french|rear|garden|house|porch|balcony door|doors",
    ),
    # Doors that do not secure the home; the door word in these phrases is not counted.
    "INNER_DOOR": (
        "communal|block|building|shared|bin|store|cupboard|shed|garage|gate|wardrobe|bathroom|toilet"
        "|bedroom|internal|fridge|car|oven|cabinet|shower|loft|airing|kitchen|cooker|washing|dishwasher"
        "|lounge|room|hall front|back|main|entrance? door|doors",
        "door|doors of|to|on the? cupboard|wardrobe|shed|garage|bathroom|toilet|bedroom|block|building|bin|loft",
    ),
    "DOOR_BROKEN": _w("broken broke smashed kicked booted forced damaged bust busted splintered snapped")
    + (
        "caved in / off its|the? hinges / hanging off / wide|jammed|stuck open / fell|came|come off",
        "@NOT_ABLE|not lock|locking|close|closing|shut|shutting|secure|latch / no lock",
        "lock is|has? broken|snapped|jammed|bust|busted|gone",
    ),
    "DOOR_MINOR": _w("bell doorbell number knocker letterbox intercom buzzer entryphone mat step draught")
    + _w("draft drafty draughty seal paint painted painting peephole spyhole closer chain sticking stiff")
    + _w("squeaky squeaks creaks creaking")
    + ("letter box / door entry / entry phone / cat flap",),
    "CAN_NOT_SECURE": (
        "@NOT_ABLE secure|lock the|my|our? home|house|flat|property|place|door|doors|windows|it",
        "no way to secure|lock the|my|our? home|house|flat|property|place|door|doors|windows|it",
        "home|house|flat|property|door|window|windows is|are? not secure",
        "home|house|flat|property|door|window|windows is|are? insecure|unsecure|unsecured",
        "anyone|anybody|someone|people can|could just? get|walk|come|climb|break in",
    ),
    "WINDOW": _w("window windows pane panes glazing"),
    "WINDOW_SMASHED": _w("smashed shattered bricked boarded")
    + (
        "kicked|caved in / put through / came|fell|fallen|come out / hanging off|out",
        "brick|bricks|rock|stone|something through / broken into",
    ),
    "WINDOW_BROKEN": _w("broken broke bust busted") + ("@NOT_ABLE|not lock|close|shut|latch|locking|closing",),
    "GROUND_FLOOR": _w("downstairs bungalow lounge patio kitchen basement front back")
    + ("ground|bottom floor / living|front|back room / lower ground",),
    "WINDOW_MINOR": _w("catch latch handle restrictor restrictors hinge hinges seal seals blind blinds")
    + _w("curtain curtains sill trickle vent vents misted misty condensation mould mold mouldy draught")
    + _w("draughty draft drafty cracked crack stiff sticking car van bus windscreen")
    + ("double glazing / window sill",),
    # ---------------------------------------------------------------- people
    "PARTNER": _w("partner partners boyfriend husband wife girlfriend ex expartner exhusband exboyfriend")
    + _w("spouse stepdad stepfather")
    + (
        "ex partner|husband|wife|boyfriend|girlfriend / other half / step dad|father",
        "baby dad|daddy|father / kids|childrens|children dad|father",
        "the? man|lad|guy|woman i live with",
    ),
    "FAMILY": _w("son daughter brother sister dad father mum mother uncle") + ("son|father|mother in law",),
    "PERSON": _w("neighbour neighbours neighbor him her them he she they lady man woman gentleman fella")
    + _w("guy person resident tenant occupant nan grandad grandpa mum dad mother father aunt auntie uncle")
    + _w("brother sister friend mate pensioner elderly old someone somebody husband wife partner son")
    + _w("daughter grandson granddaughter"),
    "STRANGER": _w("neighbour neighbours neighbor stranger strangers lad lads youths youth gang kids boys men")
    + _w("guy bloke man woman someone somebody dealer dealers dog postman driver operative engineer")
    + _w("contractor workman builder")
    + ("next door / upstairs|downstairs neighbour",),
    "WORKER": _w("office council housing engineer engineers operative operatives contractor contractors")
    + _w("landlord repairs helpline you plumber electrician officer team company agent caretaker agency")
    + _w("surveyor staff")
    + ("customer services / phone line",),
    "VIOLENCE": _w("hit hits hitting hitted beat beats beating beaten punch punched punches punching kick")
    + _w("kicked kicks kicking slap slapped slaps slapping strangle strangled strangles strangling choke")
    + _w("choked chokes choking smack smacked smacks batter battered batters battering assault assaulted")
    + _w("assaults attack attacked attacks attacking threaten threatened threatens threatening hurt hurts")
    + _w("hurting push pushed pushes shoved shove grab grabbed grabs dragged drag rape raped raping abuse")
    + _w("abused abuses abusing bit bite bites burned burnt headbutted headbutt knocked spat strangulation")
    + ("laid|laying|lays into",),
    "VICTIM": _w("me us her him them")
    + ("my|the|our kids|children|child|son|daughter|baby|mum|mother|sister|brother",),
    "HARM": _w("kill stab shoot murder burn batter hurt attack smash") + ("beat|do me? up|in",),
    "THREAT": (
        "threatened|threatening|threatens|threaten|threats|threat to?",
        "going to / want to / wants to / trying to / tried to / will / would / said he|she|they will|would?",
    ),
    "WEAPON": _w("knife knives machete gun guns weapon weapons blade axe hammer bat crowbar"),
    # Injuries to oneself that use the same verbs as violence ("hurt her back").
    "OWN_INJURY": (
        "hurt|hurts|injured|injures|pulled|twisted|broke|broken her|his|my|their|me back|leg|legs|arm"
        "|arms|knee|knees|hip|ankle|wrist|foot|feet|hand|hands|shoulder|neck|toe|finger|fingers",
        "beat|beats me to it|at / hit the roof|ceiling|wall|pipe|jackpot",
    ),
    "CHILD": _w("child children kid kids baby babies toddler toddlers infant infants newborn boy boys girl")
    + _w("girls son daughter youngster youngsters grandchild grandkids nipper kiddie")
    + ("little one|ones / young child|children|kids",),
    "SELF": ("myself / meself / mysef / mself / my self / me self / himself / herself / themselves / themself",),
    "NOT_SEEN": (
        "not|nobody|never|anyone|one has|have|had|is|been? seen|heard / not been out|outside / no sign of",
        "seen or heard / not seen or heard / not|never see|saw / not|never clapped|set|laid eyes on",
    ),
    "DURATION": _w("days weeks week ages while fortnight month months since")
    + ("long time / a few|couple days|weeks",),
    "FELL": _w("fallen fell falls slipped")
    + (
        "had a fall / tripped over|up / lying|lay|laying|lies|found|collapsed on the floor|ground",
        "@NOT_ABLE get up / stuck on the floor|ground",
    ),
    "FELL_FIGURATIVE": (
        "fell|fallen|falls|fall|falling behind|through|apart|asleep|pregnant|for",
        "fall out / fell|falling|fallen out with",
    ),
    # People a tenant might worry about not answering; "they" and "you" are left out because they
    # usually mean the landlord.
    "KIN": _w("nan grandad grandpa mum dad mother father elderly old pensioner neighbour neighbours neighbor")
    + _w("aunt auntie uncle brother sister son daughter husband wife lady man gentleman he she him her")
    + _w("partner friend"),
    "ASSAULT": _w("hit hits hitting punched punch punching kicked kicking attacked attacking assaulted")
    + _w("battered beat beaten beating stabbed strangled choked headbutted glassed slapped smacked bit")
    + ("knocked me out|over|down",),
    "UNRESPONSIVE": (
        "not|nobody|noone answering|responding|answered / no one answering|responding|answered",
        "no answer|response",
    ),
}
