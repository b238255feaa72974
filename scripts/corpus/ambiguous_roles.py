"""The ambiguous words in every role a sentence gives a noun or a verb: subject, object, after a
preposition, inside a compound ("bank account", "river bank", "baseball bat"), after a modal or
"to" ("the dog began to bark"), in questions and in other tenses. scripts/generate-corpus writes
these sentences to assets/corpus/ambiguous-roles.txt, which builtin:bank-encoder reads besides the
other corpora: a masked-word model that met "bank" only after "to the" guesses "the" or "man" for
"[MASK] robbers" or "the [MASK] closed early".

Written from general knowledge of how the words are used, by role, not from any test sentence.
Each sentence still carries the words that decide the sense (a teller, a vault, a river, a cave),
and the line says which sense it is (`sentence<TAB>word=sense`).
"""

SUBJECTS = ["i", "we", "you", "he", "she", "they", "my friend", "my brother", "my aunt", "the old man",
            "the young woman", "our neighbor", "my dad", "my mom", "the kids", "grandpa", "the tourists",
            "the students", "my cousin", "the farmer", "a stranger", "nobody", "the children", "her husband"]
PLURAL_SUBJECTS = {"we", "you", "they", "the kids", "the tourists", "the students", "the children"}
TIMES = ["yesterday", "last night", "this morning", "on friday", "every spring", "a week ago", "after lunch",
         "in the summer", "once", "later that day", "early in the morning", "two days ago"]
MODALS = ["will", "can", "should", "must", "might", "could", "would"]
MOVING_PREPOSITIONS = {"to", "into", "from", "across", "down", "up", "off", "toward"}
MOVING = ["went", "walked", "ran", "hurried", "came", "climbed", "wandered"]
STAYING = ["stood", "waited", "was", "sat", "stayed", "met them"]


def third_person(subject):
    return subject not in PLURAL_SUBJECTS and subject != "i"


def present(verb, subject):
    """The simple present of a regular base form for a subject ("walks", "catches", "flies")."""
    if not third_person(subject):
        return verb
    if verb.endswith(("s", "sh", "ch", "x")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


# [SECTION] What each sense does and what is done to it
#
# For each ambiguous word and sense:
#   does:     what it does as a subject, past tense ("the bank lent them money")
#   is:       what it is like ("the bank was closed", "the bank was steep")
#   done:     (past, base) verbs taking it as an object ("robbed"/"rob the bank")
#   where:    prepositions and what comes after ("inside the bank", "down the bank to the water")
#   before:   words that make a compound or phrase before it ("river bank", "baseball bat")
#   after:    nouns it modifies ("bank account") or "of the ..." phrases ("bank of the river")
#   context:  clauses that set the scene ("to pay the rent", "to catch some fish")

ROLES = {
    ("bank", "money"): {
        "does": ["lent them money", "approved the loan", "charged a fee", "closed the account", "sent a letter about the loan",
                 "opened at nine", "closed at five", "raised its interest rates", "hired a new teller", "froze the account",
                 "refused the loan", "paid interest on the savings", "changed the dollars into euros", "called about the payment",
                 "lost some of its customers", "kept the gold in a vault", "gave out new credit cards", "cashed the check"],
        "is": ["closed for the holiday", "full of customers", "open until five", "robbed twice", "busy on payday",
               "out of cash", "next to the post office", "on the corner of main street", "safe for savings"],
        "done": [("robbed", "rob"), ("called", "call"), ("phoned", "phone"), ("visited", "visit"), ("left", "leave"),
                 ("trusted", "trust"), ("sued", "sue"), ("paid", "pay"), ("emailed", "email"), ("asked", "ask"),
                 ("owed", "owe"), ("told", "tell")],
        "where": [("at", "to withdraw some cash"), ("at", "to pay the rent"), ("inside", "to open an account"),
                  ("outside", "waiting for the teller"), ("to", "to deposit the check"), ("from", "with a loan"),
                  ("in", "to change some money"), ("at", "to ask about a mortgage"), ("into", "with a bag of coins"),
                  ("behind", "next to the cash machine"), ("to", "to get a credit card")],
        "before": ["the local", "the national", "the central", "a big", "the savings", "an online", "the new"],
        "after": ["account", "robber", "robbers", "manager", "teller", "loan", "card", "statement", "holiday", "vault",
                  "fees", "robbery", "balance", "transfer", "branch", "clerk", "customers", "staff", "notes"],
        "context": ["to pay the bills", "to save for a house", "to borrow money", "to cash a check", "to get some money",
                    "to open a savings account", "to pay off the loan", "to send money abroad"],
    },
    ("bank", "river"): {
        "does": ["gave way after the rain", "sloped down to the water", "washed away in the flood", "crumbled into the river",
                 "rose steeply from the stream", "was covered in reeds", "flooded in the spring", "dropped into the lake",
                 "curved along the river", "slid into the muddy water", "held back the water"],
        "is": ["steep and muddy", "covered in grass", "slippery after the rain", "full of frogs", "lined with willows",
               "soft and wet", "rocky near the water", "home to ducks and geese", "green with moss", "sandy by the stream"],
        "done": [("climbed", "climb"), ("walked along", "walk along"), ("fished from", "fish from"), ("slid down", "slide down"),
                 ("jumped from", "jump from"), ("reached", "reach"), ("followed", "follow"), ("crossed to", "cross to"),
                 ("rowed toward", "row toward"), ("swam to", "swim to")],
        "where": [("on", "fishing for trout"), ("along", "watching the boats"), ("down", "to the water"),
                  ("up", "away from the river"), ("on", "under a willow tree"), ("along", "where the ducks swim"),
                  ("near", "beside the stream"), ("from", "into the cold water"), ("across", "to the other side of the river"),
                  ("by", "where the fish jump"), ("off", "into the pond")],
        "before": ["the river", "the muddy", "the grassy", "the steep", "the far", "the opposite", "the stream", "the west",
                   "the south", "the lake", "the canal", "the sandy", "the mossy", "the other"],
        "after": ["of the river", "of the stream", "of the lake", "of the canal", "of the pond", "of the creek"],
        "context": ["to go fishing", "to watch the ducks", "to look at the river", "to catch some fish",
                    "to have a picnic by the water", "to launch the canoe", "to wait for the ferry", "to feed the swans"],
    },
    ("bat", "animal"): {
        "does": ["flew out of the cave", "hung upside down from the roof", "slept all day in the attic", "hunted moths at dusk",
                 "squeaked in the dark", "flapped its wings", "ate insects", "came out at night", "woke up at sunset",
                 "found its way in the dark"],
        "is": ["tiny and furry", "asleep in the cave", "hanging from a branch", "hungry for insects", "nocturnal"],
        "done": [("saw", "see"), ("caught", "catch"), ("rescued", "rescue"), ("studied", "study"), ("photographed", "photograph"),
                 ("fed", "feed"), ("heard", "hear")],
        "where": [("of", "in the cave"), ("near", "in the barn at night"), ("from", "in the old tower"),
                  ("about", "that lives in the forest")],
        "before": ["a fruit", "a vampire", "a little", "the brown", "a baby", "the sleeping", "a furry", "the flying"],
        "after": ["colony", "cave", "wings"],
        "context": ["in the dark cave", "at night", "in the attic", "in the forest at dusk", "under the bridge at night"],
    },
    ("bat", "sport"): {
        "does": ["hit the ball over the fence", "cracked when he hit the ball", "broke in half", "hit a home run",
                 "slipped out of her hands", "made a loud crack against the ball"],
        "is": ["made of wood", "too heavy for the batter", "made of aluminum", "leaning against the dugout", "new this season"],
        "done": [("swung", "swing"), ("dropped", "drop"), ("gripped", "grip"), ("bought", "buy"), ("picked up", "pick up"),
                 ("held", "hold"), ("borrowed", "borrow")],
        "where": [("with", "and hit the ball"), ("with", "at baseball practice"), ("for", "for the cricket game")],
        "before": ["a baseball", "a cricket", "the wooden", "a metal", "a softball", "the heavy", "his new"],
        "after": ["and ball", "and glove", "bag"],
        "context": ["at baseball practice", "before the game", "in the batting cage", "to hit the ball", "during the inning"],
    },
    ("bark", "dog"): {
        "dogs": ["the dog", "our dog", "the puppy", "my dog", "the neighbor's dog", "a small dog", "the old hound",
                 "the terrier", "the guard dog", "that dog", "the beagle", "a stray dog"],
        "at": ["at the mailman", "at strangers", "at the cat", "all night", "at the door", "when someone knocks",
               "at every car", "at the squirrels", "loudly", "at the moon", "in the yard"],
        "noun": ["a loud bark", "a sharp bark", "a happy bark", "an angry bark", "a deep bark", "one short bark"],
    },
    ("bark", "tree"): {
        "trees": ["tree", "oak", "pine", "birch", "maple", "willow", "cedar", "elm", "cherry tree", "apple tree",
                  "oak tree", "pine tree", "birch tree", "maple tree", "willow tree", "elm tree"],
        "is": ["rough", "smooth", "thick", "peeling", "cracked", "brown", "gray", "covered in moss", "hard and dry",
               "white and papery", "soft and wet"],
        "done": [("peeled", "peel"), ("stripped", "strip"), ("touched", "touch"), ("scraped", "scrape"), ("carved", "carve"),
                 ("collected", "collect"), ("chewed", "chew")],
        "does": ["protects the tree", "peeled off the trunk", "cracked in the cold", "was eaten by deer",
                 "hides beetles", "grows thicker every year", "fell off the old log"],
    },
    ("match", "fire"): {
        "does": ["went out in the wind", "burned down to her fingers", "flared up", "lit the candle", "would not light",
                 "made a tiny flame", "sparked and hissed", "glowed in the dark tent"],
        "is": ["wet", "too damp to light", "the last one in the box", "still burning", "burned out"],
        "done": [("struck", "strike"), ("lit", "light"), ("found", "find"), ("needed", "need")],
        "where": [("with", "to light the stove"), ("with", "to start the campfire"), ("with", "to light the candle"),
                  ("with", "to light the fireplace")],
        "context": ["to light the candle", "to start the fire", "to light the stove", "to see in the dark",
                    "to light the lantern", "to start the campfire"],
    },
    ("match", "game"): {
        "does": ["ended in a draw", "started at three", "was canceled because of rain", "went to extra time",
                 "lasted two hours", "was shown on tv", "drew a big crowd", "ended with a late goal"],
        "is": ["exciting", "close until the end", "sold out", "on saturday", "very long", "the final of the season"],
        "done": [("won", "win"), ("lost", "lose"), ("watched", "watch"), ("played", "play"), ("refereed", "referee"),
                 ("missed", "miss")],
        "where": [("before", "the players warmed up"), ("after", "the fans cheered"), ("during", "it started to rain"),
                  ("at", "the crowd sang")],
        "before": ["the football", "a tennis", "the chess", "a boxing", "the rugby", "the final", "a soccer", "the hockey",
                   "a wrestling", "the cricket", "a badminton"],
        "after": ["report", "tickets", "highlights"],
        "context": ["against the other team", "at the stadium", "in the tournament", "for the trophy", "with the whole team"],
    },
}


# Senses a person owns or belongs to, so "my bank", "his bat", "our match" are ordinary; each
# subject's own possessive where it has one ("grandpa ... his"), else any.
OWNED = {("bank", "money"), ("bat", "sport"), ("match", "game")}
POSSESSIVES = {"i": "my", "we": "our", "you": "your", "he": "his", "she": "her", "they": "their", "my brother": "his",
               "my aunt": "her", "the old man": "his", "the young woman": "her", "my dad": "his", "my mom": "her",
               "grandpa": "his", "the kids": "their", "the tourists": "their", "the students": "their", "her husband": "his"}


def subject(r):
    return r.choice(SUBJECTS)


def maybe_time(r, sentence):
    return f"{r.choice(TIMES)} {sentence}" if r.random() < 0.25 else sentence


def noun_roles(r, word, sense):
    """A noun sense (bank, bat, match, tree bark) as subject, object, after a preposition, in a
    compound, with a modal, in a question."""
    t = ROLES[(word, sense)]
    s = subject(r)
    w = word
    pre = r.choice(t["before"]) if "before" in t and r.random() < 0.5 else "the"
    if (word, sense) in OWNED and r.random() < 0.3:  # "she called her bank", "he dropped his bat"
        pre = POSSESSIVES[s] if s in POSSESSIVES else r.choice(["my", "our", "his", "her", "their"])
    forms = []
    if "does" in t:
        does = r.choice(t["does"])
        forms += [f"{pre} {w} {does} .", maybe_time(r, f"{pre} {w} {does}") + " ."]
    if "is" in t:
        forms += [f"{pre} {w} was {r.choice(t['is'])} .", f"{pre} {w} is {r.choice(t['is'])} .",
                  f"is {pre} {w} {r.choice(t['is'])} ?"]
    if "done" in t:
        past, base = r.choice(t["done"])
        forms += [maybe_time(r, f"{s} {past} {pre} {w}") + " .",
                  f"{s} {r.choice(MODALS)} {base} {pre} {w} .",
                  f"{s} {'wants' if third_person(s) else 'want'} to {base} {pre} {w} .",
                  f"did {s} {base} {pre} {w} ?",
                  f"{s} never {past} {pre} {w} ."]
    if "where" in t:
        prep, rest = r.choice(t["where"])
        if (word, sense) == ("match", "game"):  # a time: "after the match , the fans cheered"
            forms += [f"{prep} {pre} {w} , {rest} ."]
        else:
            verb = r.choice(MOVING if prep in MOVING_PREPOSITIONS else STAYING)
            forms += [maybe_time(r, f"{s} {verb} {prep} {pre} {w} {rest}") + " ."]
    if "after" in t:
        after = r.choice(t["after"])
        if after.startswith("of "):
            forms += [f"{s} {r.choice(['sat', 'walked', 'rested', 'camped'])} on the {w} {after} .",
                      f"the {w} {after} was {r.choice(t['is'])} ."]
        else:
            forms += [f"the {w} {after} {r.choice(['was', 'seemed', 'looked'])} {r.choice(['new', 'old', 'ready', 'big', 'there'])} .",
                      f"{s} {r.choice(['checked', 'needed', 'saw', 'lost', 'found'])} the {w} {after} .",
                      f"{w} {after} {r.choice(['are', 'were'])} part of every story about {sense_noun(sense)} ."]
    if "context" in t:
        forms += [f"{s} {r.choice(MODALS)} go to the {w} {r.choice(t['context'])} ." if word == "bank"
                  else f"{s} needed the {w} {r.choice(t['context'])} .",
                  f"{r.choice(t['context'])} , {s} {r.choice(['used', 'found', 'looked for', 'needed'])} the {w} ."]
    return r.choice(forms)


def sense_noun(sense):
    """The plain noun of a sense, for sentences that name it ("... about the money")."""
    return {"money": "money", "river": "rivers", "animal": "animals", "sport": "baseball", "fire": "fire",
            "game": "sport", "dog": "dogs", "tree": "trees"}[sense]


def dog_bark(r):
    """bark as what a dog does: the verb after "will", "to", "began to", "heard ... bark", and the noun."""
    t = ROLES[("bark", "dog")]
    dog = r.choice(t["dogs"])
    at = r.choice(t["at"])
    s = subject(r)
    forms = [f"{dog} will bark {at} .", f"{dog} began to bark {at} .", f"{dog} would bark {at} .",
             f"{dog} likes to bark {at} .", f"{s} heard {dog} bark {at} .", f"{dog} did not bark {at} .",
             f"does {dog} bark {at} ?", f"{dog} can bark {at} .", f"why does {dog} bark {at} ?",
             f"{dog} started to bark {at} .", f"{s} told {dog} not to bark .", f"{dog} let out {r.choice(t['noun'])} .",
             f"{s} heard {r.choice(t['noun'])} from {dog} .", maybe_time(r, f"{dog} gave {r.choice(t['noun'])}") + f" {at} ."]
    return r.choice(forms)


def tree_bark(r):
    """bark of a tree: after "of the", inside "oak bark", as subject and as object."""
    t = ROLES[("bark", "tree")]
    tree = r.choice(t["trees"])
    s = subject(r)
    past, base = r.choice(t["done"])
    forms = [f"the bark of the {tree} was {r.choice(t['is'])} .", f"{tree} bark is {r.choice(t['is'])} .",
             f"the {tree} has {r.choice(t['is'])} bark .", f"{s} {past} the bark of the {tree} .",
             f"{s} {past} some {tree} bark .", f"{s} {r.choice(MODALS)} {base} the bark off the {tree} .",
             f"the bark {r.choice(t['does'])} .", f"beetles live under the bark of the {tree} .",
             f"deer {r.choice(['eat', 'chew', 'strip'])} the bark of young {tree} trees in winter ."
             if not tree.endswith("tree") else f"deer ate the bark of the {tree} .",
             maybe_time(r, f"{s} touched the bark of the {tree}") + " ."]
    return r.choice(forms)


def fire_match(r):
    """match as a stick for fire, in the same roles; "struck a match", "a match from the box"."""
    t = ROLES[("match", "fire")]
    s = subject(r)
    past = r.choice(t["done"])[0]
    forms = [f"the match {r.choice(t['does'])} .", f"{s} {past} a match {r.choice(t['context'])} .",
             f"{s} {r.choice(MODALS)} {r.choice(['strike', 'light'])} a match {r.choice(t['context'])} .",
             f"can you {r.choice(['strike', 'light', 'find'])} a match {r.choice(t['context'])} ?", f"the match was {r.choice(t['is'])} .",
             f"{s} took a match from the box {r.choice(t['context'])} .",
             maybe_time(r, f"{s} lit the {r.choice(['candle', 'stove', 'fire', 'lamp', 'campfire'])} with a match") + " .",
             f"{s} needed one match {r.choice(t['context'])} .",
             f"{s} {r.choice(['blew out', 'dropped', 'shook out'])} the burning match ."]
    return r.choice(forms)


def roles_sentence(r, word, sense):
    if (word, sense) == ("bark", "dog"):
        return dog_bark(r)
    if (word, sense) == ("bark", "tree"):
        return tree_bark(r)
    if (word, sense) == ("match", "fire"):
        return fire_match(r)
    return noun_roles(r, word, sense)


PLAN = [(2500, "bank", "money"), (2500, "bank", "river"), (900, "bat", "animal"), (900, "bat", "sport"),
        (1200, "bark", "dog"), (1200, "bark", "tree"), (1200, "match", "fire"), (1200, "match", "game")]


def distinct_lines(r, plan):
    """For each (count, word, sense, make) of the plan, up to `count` lines `sentence<TAB>word=sense`
    from make(r, word, sense), none repeating another, in the order drawn."""
    lines, seen = [], set()
    for count, word, sense, make in plan:
        made = 0
        for _ in range(count * 20):  # small families run out of new sentences: take what exists
            if made == count:
                break
            sentence = make(r, word, sense)
            if sentence in seen:
                continue
            seen.add(sentence)
            lines.append(f"{sentence}\t{word}={sense}")
            made += 1
    return lines


def sentences(r):
    """The roles' lines of assets/corpus/ambiguous-roles.txt, in a shuffled order."""
    lines = distinct_lines(r, [(count, word, sense, roles_sentence) for count, word, sense in PLAN])
    r.shuffle(lines)
    return lines
