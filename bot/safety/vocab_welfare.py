"""Rules for risks to a person: for review by the safety lead.

Judgement calls, so that a reviewer can disagree with them explicitly:

* Self-harm rules ignore negation. "I'm not suicidal but..." still fires (not immediate): a tenant who
  raises suicide unprompted with a housing assistant should be given the Samaritans' number, and the
  cost of that when they meant it lightly is small. Idioms do not fire: "dying to know", "this rent is
  killing me", "kill the music", "I could kill for a brew". "I can't cope" and "I can't do this anymore"
  are left out on purpose: they are how tenants describe arrears and repairs every day, and the ML
  model's report_concern intent is the better judge of them. "I want to end it" fires unless a tenancy,
  contract, call or direct debit is what is being ended.
* Talk of a time or a method ("tonight", "taken pills", "goodbye", "going to") makes self-harm immediate.
* Domestic abuse needs violence, threats or control aimed at a person by a partner, ex or family
  member, or by "he"/"she" when no neighbour or stranger is mentioned. Arguments, an ex moving out, a
  partner on the tenancy, "my kids are driving me mad" do not fire. Violence from a neighbour or a
  stranger is a person at risk instead (harassment without violence is anti-social behaviour and is
  left to the ML model).
* Threats to kill fire as a person at risk, except from a partner or ex, which is domestic abuse.
  A tenant's own angry "I'll kill him" also fires: the assistant cannot tell bluster from intent.
* A fall fires, and is immediate, for an older relative or neighbour ("me nan's fell"), unless it is
  clearly in the past and about adaptations ("had a fall last month, can we get a handrail").
* Children: left alone, hit, neglected or in a dangerous place (window ledge, roof). Children crying,
  playing or being noisy do not fire.
* Past abuse still fires (not immediate): the helpline is still the right answer.
"""

from __future__ import annotations

from bot.safety.dangers import Danger, Rule
from bot.safety.patterns import any_of

DOMESTIC_ABUSE_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.DOMESTIC_ABUSE,
        "domestic abuse named",
        (
            "domestic abuse|violence|violent|incident|incidents|abuser / dv / coercive|coercively control"
            " / controlling relationship|partner|husband|boyfriend|behaviour / abusive relationship|partner"
            "|husband|boyfriend|ex|marriage|wife|girlfriend|man|home / fleeing|flee|fled domestic|abuse"
            "|violence|my|him|her|from / refuge / womens|women aid|refuge / non? molestation order"
            " / restraining order / marac / idva / honour based violence / forced marriage / clare law"
            " / scared|afraid|frightened|terrified to go home",
        ),
    ),
    Rule(
        Danger.DOMESTIC_ABUSE,
        "partner or family member violent, threatening or controlling",
        (
            "@PARTNER / @FAMILY",
            "@VIOLENCE me|us|her|him|them / @ASSAULT @VICTIM / @VIOLENCE|battering|beating|abusing|hitting"
            " his|her|their|my? @PARTNER"
            " / beaten|battered|abused|assaulted|attacked|raped|strangled|hit|threatened|hurt|kicked|punched by"
            " / violent|abusive|aggressive|controlling|coercive / scared|afraid|frightened|terrified of him|her|them"
            " / will not let me leave|out|go|see|have|use / locked me in|out"
            " / took|taken|smashed|broke|broken my phone / follows|following|stalking|stalks|stalked me"
            " / will not leave me alone / harassing|harasses|harassed me / black eye / bruises"
            " / @THREAT @HARM",
        ),
        window=16,
        not_part_of=("@OWN_INJURY", "@HARM @SELF"),
    ),
    Rule(
        Danger.DOMESTIC_ABUSE,
        "he or she is violent, when no neighbour or stranger is mentioned",
        (
            "he|she",
            "@VIOLENCE me|us / @THREAT @HARM me|us / locked me in|out / taken|took|smashed my phone"
            " / will not let me leave|out|go",
        ),
        window=7,
        not_part_of=("@OWN_INJURY",),
        not_near=("@STRANGER",),
        reach=14,
    ),
)

SELF_HARM_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.SELF_HARM,
        "suicide or self-harm named",
        (
            any_of(
                "kill|killing|killed|hang|hanging|top|topping|off|offing|end|ending|unalive @SELF",
                "to|wanna|want|been cut|cutting|hurt|hurting|harm|harming @SELF / cutting @SELF",
                "cut my|his|her wrists",
                "kms / suicide|suicidal / self harm|harming|harmed|harmer",
                "end it all / end|ending|finish|finishing my|me|his|her life|lives",
                "take|taking|took my|me|his|her own? life",
                "want|wants|wanna|going|gonna|ready to die / wish i was|were dead / better off dead|without me",
                "not want to live|exist / not want to be alive / not worth living / not worth going on",
                "no point|reason in|to|of? living|life / no point|reason in|to? going|carrying on",
                "no point|reason in? being alive / not want to wake up",
                "@NOT_ABLE go on anymore|any|living / @NOT_ABLE go on like this / overdose|overdosed",
                "taken|took|take|taking|swallowed an? overdose",
                "take|taking all|loads|handful|box|packet|bunch|whole of? my|the|them|these|her|his? pills|tablets"
                "|painkillers|paracetamol",
                "taken|took|swallowed a|an|the? all|loads|lots|load|lot|handful|box|packet|bunch|whole|many|too"
                " of|many? my|the|them|these|her|his? pills|tablets|painkillers|paracetamol",
                "jump|jumping off|from the|a|his|her? bridge|building|balcony|roof|cliff / jump in front of",
                "on the edge of the|a|his|her|my? balcony|roof|bridge|building",
                "would|will|gonna jump / going|want|wants|threatening|threatened|threatens to jump",
                "done|finished with life|living / give|giving up on life|living / tired of living|life",
                "not see the point anymore / not see the point in|of living|life|anything|going",
                "what is the point in|of living|life",
                "given|giving|gave away all? my|his|her|their stuff|things|belongings|possessions",
                "given|giving|gave all? my|his|her|their stuff|things|belongings|possessions away",
                "rather be dead / noose / goodbye cruel world",
            ),
        ),
        not_part_of=("kill me if|when / will kill me / going to kill me / kill myself laughing",),
        negatable=False,
    ),
    Rule(
        Danger.SELF_HARM,
        "wants to end it",
        ("want|wanna|going|gonna|ready to end it / end it now|tonight|today",),
        not_near=(
            "tenancy|contract|agreement|lease|direct|debit|standing|order|subscription|call|chat"
            "|conversation|relationship|account|complaint|argument|dispute|arrangement|plan|claim",
        ),
        negatable=False,
    ),
    Rule(
        Danger.SELF_HARM,
        "does not want to be here any more",
        ("not want to be here anymore|any|now / not want to be here",),
        not_near=("move|moving|transfer|rehouse|rehoused|swap|exchange|area|estate|street|block|flat|house",),
        negatable=False,
        reach=10,
    ),
)

CHILD_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.CHILD_AT_RISK,
        "child left alone",
        (
            "@CHILD",
            "left alone|unattended|abandoned / home alone / on their|his|her|its own / by themselves|himself"
            "|herself / no adult|adults|parent|parents / nobody|noone looking after|with them|him|her"
            " / no one looking after|with them|him|her / is|are|all|been|being|was|were alone"
            " / crying|screaming many|several|for|all hours|days"
            " / nobody|noone is? there|home|comes|come|came|answers / no one is? there|home|comes|come|came|answers"
            " / locked in / left in|at the? flat|house|home|car",
        ),
        window=9,
    ),
    Rule(Danger.CHILD_AT_RISK, "child alone", ("@CHILD alone / alone @CHILD",)),
    Rule(
        Danger.CHILD_AT_RISK,
        "child hit or hurt",
        (
            "@ASSAULT|abused|abusing|abuses|abuse|hurting|hurts|neglecting|neglects|starving|smacking|hitting"
            " the|her|his|their|my|our|your? @CHILD / @CHILD is|are|being|been|was|were|getting|get|gets hit"
            "|beaten|hurt|abused|battered|smacked|slapped|punched|kicked|neglected|starved|attacked",
        ),
        not_part_of=("@OWN_INJURY",),
    ),
    Rule(
        Danger.CHILD_AT_RISK,
        "signs of harm or neglect on a child",
        (
            "@CHILD",
            "neglected|neglect|neglecting|starving|starved|malnourished|bruises|bruised|bruising|filthy"
            " / not fed / no food / being abused|hit|beaten|hurt|neglected / @VIOLENCE him|her|them"
            " / screaming|crying for hours|days|ages / screaming|crying all night|day",
        ),
        window=9,
    ),
    Rule(
        Danger.CHILD_AT_RISK,
        "child in a dangerous place",
        (
            "@CHILD",
            "window ledge|sill / windowsill / on the roof|ledge|railing|railings / balcony edge|railing"
            " / hanging|climbing|leaning out of? the? window / out the window",
        ),
        window=9,
        immediate=True,
    ),
    Rule(
        Danger.CHILD_AT_RISK,
        "child abuse named",
        ("child abuse|neglect|cruelty|protection|trafficking|exploitation",),
    ),
)

PERSON_RULES: tuple[Rule, ...] = (
    Rule(
        Danger.PERSON_AT_RISK,
        "someone has a weapon",
        (
            # "hes got a knife" reads "he is got a knife" after normalising, hence the optional auxiliary.
            "he|she|they|someone|somebody|man|woman|neighbour|guy|lad|lads|bloke is|has|was|are|have|had?"
            " got|holding|waving|pulled|carrying|brandishing|with a|an|his|her|their? knife|gun|machete|weapon"
            "|blade|axe|knives|guns|weapons|machetes"
            " / he|she|they|someone|somebody|man|woman|neighbour|guy|lad|lads|bloke has|is a|an? knife|gun"
            "|machete|weapon|blade|axe|knives|guns|weapons"
            " / outside|here|door|downstairs|upstairs|window|street|landing|stairs with a|an knife|gun|machete"
            "|weapon|blade|axe",
        ),
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "frightened of a person",
        (
            "i|we|me|kids|children am|are|is|feel|feeling|m|s? really|so|very|too|properly? scared|afraid"
            "|frightened|terrified|petrified of|by my|the? him|her|them|he|she|neighbour|neighbours",
        ),
        yields_to=(Danger.DOMESTIC_ABUSE,),
    ),
    Rule(
        Danger.DOMESTIC_ABUSE,
        "frightened, with a partner or ex mentioned",
        ("@PARTNER", "i|we am|are|m|feel|feeling really|so|very? scared|afraid|frightened|terrified|petrified"),
        window=10,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "a call for help because someone is here",
        ("help me|us|pls|please? he|she|they is|are here|outside|back|downstairs|inside|coming",),
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "not seen for days",
        ("@NOT_SEEN", "@DURATION"),
        window=12,
        not_near=(
            "@WORKER",
            "statement|letter|letters|money|refund|bill|payment|reply|response|email|repair|van|parcel"
            "|rent|back|anything|anyone|sun|daylight",
        ),
        reach=8,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "signs nobody is about",
        (
            "curtains|blinds closed|shut|drawn / not opened|open|drawn|pulled the|his|her|their? curtains|blinds"
            " / post|mail|milk|letters|newspapers|papers|parcels piling"
            "|piled|stacking|building|pile up? / lights on all? day|night and? night?",
            "@DURATION / neighbour|neighbours|her|him|them|she|he|elderly|old",
        ),
        window=12,
        not_near=("arrears|debt|debts|bills|rent|council tax",),
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "someone has fallen",
        ("@PERSON", "@FELL"),
        window=7,
        not_part_of=("@FELL_FIGURATIVE",),
        not_near=(
            "handrail|rail|rails|grab|adaptation|adaptations|occupational|stairlift|recovering|recovered"
            "|ago|fitted|fit|install|risk|hazard / stair lift / last week|month|year",
        ),
        unless_also=("@UNRESPONSIVE / on the floor / @NOT_ABLE get up",),
        immediate=True,
        reach=10,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "cannot get up",
        ("@NOT_ABLE get up / stuck on the floor|ground",),
        not_part_of=("@NOT_ABLE get up the|my|in? stairs|hill|steps|there|early|morning",),
        immediate=True,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "someone collapsed or unconscious",
        ("@PERSON", "@SEVERE / stroke / heart attack / bleeding / choking / overdosed / blue lips"),
        window=7,
        not_part_of=(
            "@CEILING|wall|fence|shed|floor|chimney|bed|sofa|drain|pipe|building|market|economy has|had|is|was?"
            " collapsed / nearly|almost had? a? heart attack / heart attack when|at / stroke of luck|genius",
        ),
        not_near=("@WORKER", "emails|email|messages|message|calls|letters|complaint|texts|reply|replies"),
        immediate=True,
        reach=8,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "unconscious",
        ("unconscious|unresponsive / not|stopped breathing / collapsed on the floor|ground|stairs|landing",),
        immediate=True,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "relative or neighbour not answering",
        (
            "@KIN",
            "@UNRESPONSIVE / @NOT_ABLE get hold of|through / @NOT_ABLE get an answer"
            " / not|will|does|did|has|have|had not? answer|open the|her|his|their? door",
        ),
        window=10,
        not_near=("@WORKER", "emails|email|messages|message|letters|complaint|texts"),
        reach=10,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "threat to kill or harm",
        (
            "@THREAT @HARM @VICTIM|you|everyone|everybody / death threat|threats / threats to kill"
            " / threatened|threatening me|us with a? @WEAPON / @WEAPON at me|us"
            " / pulled|waving|waved|holding|brandishing|wielding a|an? @WEAPON"
            " / came|coming|went at me|us|him|her with a|an? @WEAPON",
        ),
        not_part_of=("will|would kill me if / going to kill me when|if / kill my self", "@SELF"),
        not_near=(
            "@PARTNER",
            "mould|mold|damp|rent|bills|bill|heating|cold|stress|prices|landlord|council|repairs|place|stairs",
        ),
        reach=12,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "someone attacked",
        (
            "being|been|getting|got|was|were attacked|assaulted|stabbed|mugged|beaten|battered|knifed|glassed"
            "|jumped|shot / beat|beaten up / stabbing / @STRANGER @ASSAULT @VICTIM"
            " / someone|somebody|man|men|people|lads|gang is|are? fighting|attacking|stabbing"
            " / fight|fighting|brawl|brawling with|using a|an? @WEAPON",
        ),
        not_near=("@PARTNER",),
        reach=12,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "safeguarding or fear for life",
        (
            "safeguarding / welfare check|concern / vulnerable adult / adult at risk / hoarding|hoarder|hoards"
            " / fear|scared|afraid|frightened|terrified for my|their|his|her|our life|lives|safety"
            " / not safe on her|his|their own",
        ),
        not_part_of=("advertising hoarding|hoardings / hoarding board|boards|sign|signs",),
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "vulnerable adult wandering or lost",
        (
            "dementia|alzheimers|alzheimer|confused|vulnerable|elderly",
            "wandering|wanders|wandered|lost|unsafe / not safe / found her|him outside",
        ),
        window=14,
    ),
    Rule(
        Danger.PERSON_AT_RISK,
        "home piled floor to ceiling",
        ("floor to ceiling / to the ceiling / piled high", "rubbish|junk|stuff|bags|boxes|things|clutter|hoard"),
        window=8,
    ),
)

WELFARE_RULES: tuple[Rule, ...] = DOMESTIC_ABUSE_RULES + SELF_HARM_RULES + CHILD_RULES + PERSON_RULES

WELFARE_IMMEDIATE: dict[Danger, tuple[str, ...]] = {
    Danger.DOMESTIC_ABUSE: (
        "here now / he|she is|has here|back|outside / outside the|my? door|flat|house / at the|my door",
        "banging|kicking|hammering on|at the|my? door / trying to get|break|kick in / in the house|flat",
        "hiding / locked in / locked me in / right now / is hitting|beating|attacking|strangling|choking",
        "@VIOLENCE me now / going to kill me / kill me / knife|knives|gun|weapon / help me",
        "scared|afraid|frightened|terrified for my life / fear for my life / on his|her way",
        "coming back|round / can not breathe",
    ),
    Danger.SELF_HARM: (
        "tonight / today / right now / about to / going|gonna to kill|end|do|take|top|hang|jump|cut / will do it",
        "taken|took|swallowed / overdose|overdosed / goodbye / last message / rope / noose / bridge",
        "knife|blade|razor / bleeding / blood / jump / have|got a plan / plan to / this is it / wrists",
    ),
    Danger.CHILD_AT_RISK: (
        "right now / at the moment / currently / tonight / all night / screaming",
        "being hit|beaten|hurt / is|are hitting|beating|hurting / ledge|balcony|roof|window",
    ),
    Danger.PERSON_AT_RISK: (
        "@SEVERE / @UNRESPONSIVE / @NOT_ABLE get up / bleeding / blood / hit his|her|their head",
        "ambulance / 999 / being attacked / right now / on the floor / not moving / knife|knives|gun|weapon",
        "stabbed / shot",
        "screaming|shouting|calling|crying|yelling for? help",
        "outside the|my? door / at the|my door / on his|their way / coming round|back / here now",
    ),
}
