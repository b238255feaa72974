"""Longer sentences in which several words point at an ambiguous word's sense: who acts, what
they do with the word and what is going on around it ("the fisherman climbed up the muddy bank
while the current pulled at his boat"). scripts/generate-corpus adds them to
assets/corpus/ambiguous-roles.txt, which builtin:bank-encoder reads.

Why: the other generated sentences each carry one deciding word, but sentences people write carry
two or three (a fisherman, a boat and a current), and a model that only ever met one cue at a time
spreads its attention thinly over them, and guesses a masked word from the words next to it
rather than from the scene. Here a scene has an actor of the sense, a verb phrase holding the
word, and a clause that sets the scene, joined in several ways.

Written from general knowledge of each sense, by part, not from any test sentence. Each line is
`sentence<TAB>word=sense`.
"""

from ambiguous_roles import distinct_lines  # scripts/generate-corpus puts this folder on the path

PEOPLE = ["my friend", "my uncle", "the old man", "a young woman", "my sister", "the boy", "our neighbor", "my grandmother"]

# For each sense:
#   actors:  who or what acts in such a scene (the subject of `acts`)
#   acts:    past-tense verb phrases holding the word ("climbed up the muddy bank")
#   scenes:  clauses that set the scene, with words of the sense ("the current was strong")
SCENES = {
    ("bank", "money"): {
        "actors": ["the teller", "the cashier", "a customer", "the robbers", "the manager", "my accountant", "the clerk",
                   "a wealthy investor", "the thieves", "the shopkeeper", "the landlord"],
        "acts": ["went to the bank", "waited in line at the bank", "phoned the bank", "walked out of the bank",
                 "robbed the bank", "asked the bank for a loan", "put the cash in the bank", "left the bank",
                 "opened an account at the bank", "argued with the bank about a fee", "drove to the bank downtown",
                 "got a letter from the bank", "kept the savings in the bank", "paid the bank back",
                 "stood outside the bank", "owed the bank a lot of money"],
        "scenes": ["the rent was due", "the paycheck had just arrived", "the loan was finally approved",
                   "the wallet was empty", "the mortgage payment was late", "the coins filled a whole jar",
                   "prices kept going up", "the salary came on friday", "there were bills to pay",
                   "the cash machine was broken", "the interest rate went up", "the credit card was stolen",
                   "the savings were almost gone", "the check needed a signature", "a new account was free"],
    },
    ("bank", "river"): {
        "actors": ["the fisherman", "the ducks", "an otter", "the frogs", "a heron", "the swimmers", "the rowers",
                   "a beaver", "the geese", "the angler", "the turtles", "the campers"],
        "acts": ["sat on the bank", "climbed up the muddy bank", "slid down the bank into the water",
                 "walked along the river bank", "rested on the grassy bank", "fished from the bank",
                 "pulled the canoe onto the bank", "dug a hole in the soft bank", "waded back to the bank",
                 "followed the bank downstream", "jumped off the steep bank", "swam to the far bank",
                 "slept on the sandy bank", "crawled up the bank", "stood on the rocky bank"],
        "scenes": ["the water was cold", "the current was strong", "the fish were jumping", "the river was high after the rain",
                   "the boat drifted slowly", "the reeds moved in the wind", "the stream was shallow",
                   "the lake was calm", "the flood had left mud everywhere", "the ferry crossed the river",
                   "the willows hung over the water", "the creek ran fast in spring", "the waves lapped at the shore"],
    },
    ("bat", "animal"): {
        "actors": ["the owl", "the zookeeper", "the biologist", "the explorer", "the farmer", "the scientist", "the vet"],
        "acts": ["saw a bat", "spotted a bat hanging from the ceiling", "heard a bat squeak", "watched the bat fly out",
                 "found a sleeping bat", "caught a tiny bat", "counted every bat in the colony", "rescued a baby bat",
                 "followed the bat with a torch", "noticed a furry bat on the wall", "studied a fruit bat",
                 "saw a bat swoop over the pond"],
        "scenes": ["the cave was dark", "the moon was up", "the moths circled the lamp", "night had fallen",
                   "the attic was full of dust", "something flapped its wings", "the insects came out at dusk",
                   "the old barn was quiet", "the forest was dark", "the tunnel echoed", "mosquitoes buzzed over the water"],
    },
    ("bat", "sport"): {
        "actors": ["the batter", "the coach", "the pitcher", "the player", "the catcher", "the captain", "the umpire",
                   "the batsman", "the shortstop", "the baseball coach", "the cricket captain", "the softball team",
                   "a young cricket player", "the baseball fans"],
        "acts": ["swung the bat", "picked up the bat", "gripped the bat with both hands", "dropped the bat",
                 "broke the bat", "carried a wooden bat", "borrowed a bat", "tapped the bat on the plate",
                 "chose a heavier bat", "cracked the bat on a fast pitch", "raised the bat above the stumps",
                 "bought a new aluminum bat"],
        "scenes": ["the pitch came in fast", "the crowd cheered", "the game was tied", "the ball flew over the fence",
                   "the inning was almost over", "her turn to hit had come", "practice started at four",
                   "the team needed one more run", "the bases were loaded", "the wicket keeper crouched down",
                   "the season opened in april", "the glove was too big"],
    },
    ("bark", "dog"): {
        "actors": ["the dog", "the puppy", "our terrier", "the old hound", "the neighbor's dog", "the beagle",
                   "the guard dog", "a wolf", "the collie", "a stray dog", "the poodle", "the sheepdog"],
        "acts": ["let out a bark", "started to bark", "began to bark loudly", "gave a sharp bark", "gave a deep bark",
                 "answered with a bark", "made a happy bark", "tried to bark",
                 "gave one angry bark", "started to bark and growl", "began to bark at the gate"],
        "scenes": ["someone knocked at the door", "the mailman came up the path", "a cat ran across the yard",
                   "the gate creaked", "a stranger walked past the fence", "the leash was on the hook",
                   "the kennel door was open", "the doorbell rang", "a squirrel ran up the fence",
                   "the owner threw a ball", "the tail kept wagging", "the bone was buried in the yard"],
    },
    ("bark", "tree"): {
        "actors": ["the woodpecker", "the deer", "the beetles", "the squirrel", "the lumberjack", "the carpenter",
                   "the gardener", "the termites", "the woodcutter"],
        "acts": ["peeled the bark off the log", "nibbled the bark of a young tree", "scraped some bark from the trunk",
                 "tapped on the bark", "hid under the loose bark", "stripped the bark from the branch",
                 "carved a name into the bark", "pulled a strip of bark from the birch", "touched the rough bark",
                 "cut through the thick bark", "ate the bark of the maple", "found insects in the bark",
                 "stripped the bark off an old pine tree", "rubbed the bark of a birch tree", "climbed the oak tree and scraped its bark",
                 "looked at the bark of the maple tree", "pulled loose bark from the cedar tree"],
        "scenes": ["the tree was very old", "the trunk was covered in moss", "the forest was quiet", "the log lay on the ground",
                   "the branches were bare", "the oak had stood for a hundred years", "the sap was running",
                   "the pine needles covered the path", "the woods were full of fallen trees", "the roots were deep",
                   "the leaves had fallen", "the orchard needed pruning"],
    },
    ("match", "fire"): {
        "actors": ["the campers", "the scouts", "the cook", "the firefighter", "grandpa", "the smoker", "the hikers"],
        "acts": ["struck a match", "lit a match", "found one last match", "dropped the burning match",
                 "held a match to the candle", "blew out the match", "shook out the match", "used a match",
                 "scraped a match along the box", "looked for a dry match", "struck the match twice",
                 "lit the stove with a match"],
        "scenes": ["the wind was blowing", "the candles were ready", "the room was dark", "the wood was dry",
                   "the stove would not start", "the cabin was cold", "the lighter was empty",
                   "the fireplace was full of logs", "the lantern had gone out", "the kindling was damp",
                   "smoke rose from the campfire", "the gas was on"],
    },
    ("match", "game"): {
        "actors": ["the players", "the fans", "the referee", "the coach", "the team", "the champion", "the crowd",
                   "the goalkeeper", "the boxer", "the captain", "the opponent", "the chess players", "the tennis champion",
                   "the football team", "the rugby fans", "the hockey coach", "the golf star"],
        "acts": ["won the match", "lost the match", "watched the match", "played a long match", "left the match early",
                 "cheered through the whole match", "trained for the match", "talked about the match",
                 "missed the start of the match", "refereed the match", "went to the tennis match",
                 "bought tickets for the football match"],
        "scenes": ["the stadium was full", "the score was tied", "the whistle blew", "the rain kept falling",
                   "the final was on tv", "the team trained all week", "the tournament began", "the trophy stood on a table",
                   "the league table was close", "the goal came late", "the court was wet", "the season was nearly over"],
    },
}


# Sentences that begin with the word inside a compound, with no article ("bat colonies live in
# caves"): elsewhere the word always follows "the" or "a", and a model that never met it first
# fills a masked first word with "the". Only senses whose compounds are ordinary English.
STARTS = {
    ("bank", "money"): ["bank fees went up again", "bank staff were very helpful", "bank loans became cheaper",
                        "bank clerks counted the money", "bank cards stopped working for an hour",
                        "bank statements came by post", "bank managers approved the loan", "bank accounts earn some interest",
                        "bank vaults keep the gold safe", "bank customers waited in a long line"],
    ("bank", "river"): ["bank fishing is popular along this river", "bank swallows dig nests in the sandy soil by the water"],
    ("bat", "animal"): ["bat colonies live in dark caves", "bat droppings covered the floor of the cave",
                        "bat boxes hang high on the trees", "bat calls are too high for people to hear",
                        "bat pups cling to their mothers", "bat species eat many insects every night"],
    ("bat", "sport"): ["bat speed matters when you hit the ball", "bat grips wear out after a season",
                       "bat makers use willow and ash", "bat sizes depend on the age of the player",
                       "bat racks stand in every dugout"],
    ("bark", "tree"): ["bark beetles damage old pine trees", "bark mulch keeps the soil in the garden damp",
                       "bark rubbings show the pattern of each tree", "bark strips were woven into baskets"],
    ("match", "fire"): ["match flames are small but very hot", "match boxes were stacked beside the stove"],
    ("match", "game"): ["match days are busy in town", "match reports filled the sports pages", "match officials checked the pitch",
                        "match highlights were on tv", "match fitness takes weeks to build", "match balls were pumped up"],
}


def start_sentence(r, word, sense):
    """A sentence that begins with the word in a compound, sometimes with a scene after it."""
    start = r.choice(STARTS[(word, sense)])
    scene = r.choice(SCENES[(word, sense)]["scenes"])
    return r.choice([f"{start} .", f"{start} , and {scene} .", f"{start} because {scene} .", f"{start} when {scene} ."])


def scene_sentence(r, word, sense):
    """One scene: an actor of the sense (or a person), a verb phrase holding the word, and a clause."""
    t = SCENES[(word, sense)]
    # a person may go to the bank or strike a match, but only a dog barks
    actor = r.choice(t["actors"]) if r.random() < 0.7 or (word, sense) == ("bark", "dog") else r.choice(PEOPLE)
    act = r.choice(t["acts"])
    scene = r.choice(t["scenes"])
    forms = [f"{actor} {act} while {scene} .",
             f"{actor} {act} because {scene} .",
             f"when {scene} , {actor} {act} .",
             f"{scene} , so {actor} {act} .",
             f"{actor} {act} , and {scene} .",
             f"{actor} {act} just after {scene} ."]
    return r.choice(forms)


PLAN = [(1500, "bank", "money"), (1500, "bank", "river"), (600, "bat", "animal"), (600, "bat", "sport"),
        (600, "bark", "dog"), (600, "bark", "tree"), (600, "match", "fire"), (600, "match", "game")]


def sentences(r):
    """Scene lines, then lines that begin with the word (`sentence<TAB>word=sense`), each once, in
    the order drawn."""
    plan = [(count, word, sense, scene_sentence) for count, word, sense in PLAN]
    plan += [(30 * len(starts), word, sense, start_sentence) for (word, sense), starts in STARTS.items()]
    return distinct_lines(r, plan)
