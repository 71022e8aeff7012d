"""Training prompts, part ten (J): breadth across topics rather than a response to errors.

Written on 2026-12-01 from the label definitions (`stages/classify/__init__.py`) and the
topic plan below, by a writer who never read the evaluation prompts (neither part of
`bench/eval_analyzer.py`, nor `bench/task_labels.toml` or `bench/arena_hard_tasks.toml`),
and not in response to any misclassified prompt. Lengths, tones and framings are mixed on
purpose; a few are in Spanish, German, French, Portuguese or Chinese and are labelled by
what they ask for. Boundary cases sit on the side the label rules put them.
"""

# Topic plan: medicine, law, personal finance, taxes, economics, history, physics, chemistry,
# biology, astronomy, climate, energy, philosophy, religion, education, careers, business
# strategy, marketing, management, psychology, parenting, pets, travel, cooking, home repair,
# gardening, sports science, nutrition, AI/ML concepts, security concepts, networking,
# product comparisons, geopolitics, linguistics, art and music, architecture and cities,
# cars and aviation, film and literature, games and hobbies, statistics concepts.

from __future__ import annotations

OPEN_QA = (
    # medicine
    "My doctor ordered an MRI for my lower back, but a friend with the same problem got a "
    "CT scan. What's the difference between them, and why would a doctor pick one over "
    "the other?",
    "my dad just got put on warfarin. what foods and meds does he need to be careful "
    "with?? he eats spinach like every day",
    "Act as an experienced sports physiotherapist. I'm 34, I run about 30 km a week, and "
    "for a month I've had a dull ache on the outside of my right knee that starts around "
    "kilometre five and fades after rest. There is no swelling and no injury I can "
    "remember. What are the likely causes, what can I try on my own over the next few "
    "weeks, and which signs would mean I should see someone in person? Use headings for "
    "causes, self-care and red flags.",
    "Explain how mRNA vaccines teach the immune system to recognise a virus, for a reader "
    "who only remembers high-school biology.",
    "I sit on the infection-control committee of a 300-bed hospital as the patient "
    "representative, so I'm not a clinician. Our resistance rates for E. coli and "
    "Klebsiella have crept up for three years. Explain how bacteria become resistant in "
    "the first place, why hospitals are such good breeding grounds for it, and which "
    "measures (stewardship programmes, hygiene, screening, prescribing rules) have the "
    "best evidence behind them. Keep it readable for a layperson and finish with three "
    "questions I could ask at the next meeting.",
    # law
    "Is a verbal agreement legally binding in England, and how would you prove one existed?",
    "My employer in Ontario has told me my hours will drop from 40 to 24 a week from next "
    "month, with no change to my role. I've been there six years and I'm not in a union. "
    "Is this a constructive dismissal, what would I have to do to claim it, and what are "
    "the risks of staying and working the reduced hours for a while? I know this isn't "
    "formal legal advice; I want to understand my options before I see a lawyer.",
    "trademark vs copyright vs patent, whats the difference in plain english",
    "As an employment lawyer, explain what a non-compete clause can and cannot stop an "
    "employee from doing in most US states.",
    "¿Qué diferencia hay entre una sociedad limitada y una sociedad anónima en España, y "
    "cuál conviene más para una startup pequeña?",
    "We run a small online shop selling hand-dyed yarn from Ireland, with about 900 "
    "customers, mostly in the EU. We collect names, postal addresses and email addresses "
    "for orders, use a hosted shop platform, and send a monthly newsletter to people who "
    "ticked a box. What does GDPR actually require of us: a privacy notice, records, "
    "contracts with the platform, how long we can keep order data, what to do if someone "
    "asks us to delete their data? Please give me a checklist ordered by priority.",
    # personal finance and taxes
    "Is it smarter to lease or buy a car if I only drive about 8,000 miles a year?",
    "I retire in two years and my adviser mentioned building a bond ladder. What is it, "
    "and when does it make more sense than simply holding a bond fund?",
    "I'm 29, I earn about €55k a year in the Netherlands, I have €12k saved and no debt "
    "apart from a small student loan at 0.5%. I'd like to buy a flat within five years "
    "but also start investing for retirement. How should I divide my money between an "
    "emergency fund, a deposit and investments? Give me a concrete plan with percentages "
    "and explain the trade-offs of each choice.",
    "I just started using a zero-commission trading app and a friend told me that means "
    "I'm the product. How do market makers earn money, and what is payment for order flow?",
    "Explain dollar-cost averaging versus investing a lump sum. Which has done better "
    "historically, and why do people still prefer the slower one?",
    "I'm a US citizen who moved to Spain last year and work as a freelance designer for "
    "clients in both countries. What are my tax obligations in each country, do I still "
    "have to file in the US, how do the foreign earned income exclusion and the foreign "
    "tax credit interact with Spanish income tax, and what mistakes do expats in my "
    "situation commonly make? Bullet points, please.",
    "My brother is a self-employed plumber in the UK and does his own tax return. What "
    "business expenses can he usually deduct? He uses his van for work and for some "
    "personal trips.",
    # economics
    "Why did inflation jump in so many countries in 2021 and 2022? Walk me through the "
    "main explanations economists have offered and where they disagree.",
    "What is comparative advantage? Give me an everyday example that isn't about wine and "
    "cloth.",
    "Do tariffs raise consumer prices and protect domestic jobs? What does the evidence say?",
    "Explain moral hazard with one example from insurance and one from banking.",
    "I'm preparing for a debate on a four-day working week at full pay. Give me the "
    "strongest economic arguments for and against it, what the company trials in several "
    "countries found, and the questions that are still open. Put the arguments in a table "
    "with columns for the claim, the evidence and the best counterpoint, then end with a "
    "short neutral conclusion.",
    # history
    "Act as a history professor. What were the main causes of the fall of the Western "
    "Roman Empire? I know the popular list (lead pipes, decadence, barbarians), but I'd "
    "like to hear how historians actually argue about it today, including the view that "
    "it was a transformation rather than a fall. Organise the answer by type of cause "
    "(military, fiscal, political, environmental) and say which you find most convincing.",
    "Why did the Ottoman Empire enter the First World War on Germany's side?",
    "how did the telegraph change newspapers and diplomacy in the 1800s",
    "Compare the French and American revolutions: their causes, their ideas, and how each "
    "turned out. I'm a second-year history student writing an essay on why one produced "
    "a stable constitution within about a decade while the other went through terror, "
    "empire and restoration. Give me the main lines of argument historians use, with "
    "the names of the interpretations if they have them, and a comparison table of "
    "causes, leadership, violence and outcomes.",
    "I'm visiting Kyoto next spring and want to understand what I'm looking at. Give me a "
    "short history of the city from its founding as the imperial capital to the Meiji "
    "era, focusing on events that left visible traces such as temples, palaces and old "
    "districts. Organise it by period, one paragraph each.",
    "What was everyday life like for a peasant in an English village around 1300?",
    # physics and chemistry
    "Why do clouds look white most of the time but dark grey before a storm?",
    "How does a laser work, and what makes laser light different from the light of a "
    "torch? Skip the equations.",
    "What is entropy, really? The 'measure of disorder' explanation has never made sense "
    "to me.",
    "I saw a video of a magnet floating above a cold ceramic disc. How does a "
    "superconductor carry current with zero resistance, and why does it have to be so cold?",
    "Erkläre mir bitte, warum bei GPS-Satelliten die Zeitdilatation berücksichtigt werden "
    "muss und was ohne diese Korrektur passieren würde.",
    "Does adding salt to pasta water raise its boiling point enough to make any "
    "difference, or is that a kitchen myth?",
    "Our town just changed its rules and now only takes plastics marked 1 and 2. Why can "
    "some plastics be recycled over and over while others can't be recycled at all?",
    # biology
    "How do tardigrades survive being dried out, frozen or sent into space?",
    "What is CRISPR, and why is it considered such a leap over earlier gene-editing "
    "methods? My daughter is choosing a biology project and wants to write about it, and "
    "I'd like to understand it well enough to help: how it was discovered in bacteria, "
    "how the guide RNA finds its target, what it has already been used for in medicine "
    "and farming, and the ethical arguments around editing human embryos.",
    "Why do we age? Give me an overview of the main biological theories and how well each "
    "is supported.",
    "explain the krebs cycle like im a first year student. what goes in, what comes out, "
    "and why should i care",
    "How do octopuses change colour so quickly, and can they even see colour themselves?",
    # philosophy and religion
    "What is the difference between utilitarianism and Kantian ethics? Use one concrete "
    "dilemma to show where they disagree.",
    "Is free will compatible with determinism? Outline the main positions and their best "
    "arguments.",
    "I'm a philosophy undergraduate and I keep getting lost in the Philosophical "
    "Investigations. What did Wittgenstein mean when he said that meaning is use? How "
    "does that break with the picture theory in the Tractatus, what are language games "
    "and family resemblance, and what is the private language argument really aiming "
    "at? Please use simple examples rather than quotations.",
    "Qu'est-ce que l'existentialisme selon Sartre, et en quoi sa pensée diffère-t-elle de "
    "celle de Camus ?",
    "I teach religious education at a secondary school and I'm preparing a unit on Islam "
    "for 15-year-olds, several of whom are Muslim themselves. What are the main "
    "differences in belief and practice between Sunni and Shia Islam, and how did the "
    "split begin? I want an accurate, balanced account that avoids the usual "
    "oversimplifications, plus a note on what the two traditions share.",
    # education and careers
    "I'm on the parent council at my son's school and we're debating a no-homework policy "
    "for the first four years. What does the research say about whether homework helps "
    "primary school children?",
    "I teach seventh-grade science. How do I run a microscope lab with 32 students and "
    "only 8 microscopes without it turning into chaos?",
    "Act as an instructional designer. Our company onboards about 200 warehouse workers a "
    "year; many have limited English and they can't spend long away from the floor. "
    "Propose a training programme: the formats, how long each module should be, how we "
    "check understanding, and how we find out whether it actually reduces picking errors. "
    "Answer as a numbered list.",
    "Is spaced repetition really better than rereading your notes? why does it work?",
    "I've worked as an accountant for seven years at a mid-sized manufacturer. I'm good "
    "with Excel, I built most of our month-end reporting, and I've done a short online "
    "course in SQL. I'd like to move into a data analyst role within a year without "
    "going back to university, and I can't take a pay cut of more than about 10%. What "
    "is a realistic path: which skills to add, how to get experience while still in my "
    "job, what kind of employers to target, and how to present my background on a CV?",
    "What happens in a case interview at a management consultancy, and how should I "
    "practise for one in the six weeks I have left?",
    "im 45 and thinking of retraining as a nurse. is that realistic or am i kidding "
    "myself? what should i look into first",
    "Como posso me preparar para uma entrevista de emprego em inglês se o meu nível ainda "
    "é intermediário?",
    # business strategy, marketing and management
    "You are a strategy consultant. A family-owned chain of 14 hardware stores in the "
    "Midwest is losing sales to big-box retailers and online shops. Margins are thin, but "
    "the family owns most of the buildings and has loyal older customers. Give them a "
    "three-year strategy: where to compete, what to stop doing, what to invest in, and "
    "the two or three numbers the owners should look at every quarter.",
    "Should a small SaaS startup take venture capital or bootstrap? We are three "
    "founders, we sell scheduling software to dental clinics, we have 60 paying "
    "customers and about $18k in monthly recurring revenue, growing 6% a month. An angel "
    "investor has offered to lead a seed round. Lay out the pros and cons of raising now "
    "versus growing from revenue, what we would give up in each case, and which "
    "questions we should answer among ourselves before deciding.",
    "My sister is opening an independent bookshop in a university town that already has "
    "two chain bookstores. Do a SWOT analysis for her and say what she should focus on in "
    "the first year.",
    "Why do some successful brands spend almost nothing on advertising? Give examples.",
    "Act as a B2B marketing director. We make benchtop centrifuges and sell them to "
    "university labs and small biotech companies in Europe through two sales reps and a "
    "few distributors. Last year we spent €80k on marketing, mostly trade fairs, and "
    "can't say what worked. Which channels usually work for lab equipment, how would you "
    "split the same budget next year, and how should we track which leads come from "
    "where? Give the split as a table with the reasoning for each line.",
    "I was promoted to team lead three months ago and now manage five people who were my "
    "peers. One of them is the most talented person on the team but has missed four of "
    "the last six deadlines, always with a plausible reason, and the others have started "
    "to notice. I don't want to lose him, but I can't keep covering for him. How should "
    "I approach the conversation, what should I say in the first meeting, and what do I "
    "do if nothing changes in a month?",
    "I manage nine engineers split between Berlin and Bangalore. Meetings are always at a "
    "bad hour for someone, decisions get made in one office and the other hears about "
    "them late, and morale in Bangalore is visibly lower. What practices would you put in "
    "place so that this feels like one team? Give concrete rituals and habits, and tell "
    "me what to avoid.",
    # psychology, parenting and pets
    "Why do people keep falling for the sunk cost fallacy even after they've learned "
    "about it?",
    "Is the Myers-Briggs test scientifically valid? What do psychologists use instead?",
    "I've slept badly for over a year and my GP suggested CBT-I instead of sleeping pills. "
    "How does cognitive behavioural therapy for insomnia work, and how long does it take?",
    "My four-year-old has a meltdown almost every evening around dinner time. She naps at "
    "daycare until 3, we eat at 6:30, and the meltdowns are worst on days when her older "
    "brother has friends over. What could be going on, and what can we try over the next "
    "couple of weeks? I'd like practical ideas, not a lecture on parenting styles.",
    "We're adopting a retired racing greyhound next month. We live in a flat with a cat. "
    "What should we prepare, and how do we introduce them safely?",
    # travel, cooking, home and garden
    "Plan a 10-day trip to Portugal for two people in late September. We like food, "
    "walking and small towns more than famous sights, we don't want to drive, and our "
    "budget is about €2,500 not counting flights. Give a day-by-day itinerary with where "
    "to sleep each night, how to get between places by train or bus, and one food we "
    "shouldn't miss in each place.",
    "is a JR pass worth it for 2 weeks in japan or should i just pay per trip",
    "What should I know before hiking the Inca Trail: permits, altitude and the best time "
    "of year?",
    "我下个月第一次去冰岛自驾, 十月份的路况怎么样? 有哪些需要特别注意的地方?",
    "What's the difference between baking soda and baking powder, and can I swap one for "
    "the other?",
    "My sourdough keeps coming out dense and gummy in the middle. The starter doubles in "
    "about six hours and I bake at 230°C for 40 minutes in a Dutch oven. What am I most "
    "likely doing wrong?",
    "My bathroom fan runs but doesn't seem to pull any steam out. What should I check "
    "before I call an electrician?",
    "We bought a 1930s brick house with solid walls and no cavity, and every winter the "
    "back bedroom gets black mould in the corners. We dry laundry indoors and the windows "
    "are double glazed. What causes this, what are the options for fixing it "
    "(ventilation, insulation, how we heat the house), and roughly what does each cost? "
    "Rank them from cheapest to most expensive.",
    "Why did my hydrangeas turn from blue to pink after I moved them to a new bed? They "
    "get the same sun and water as before, and I'd like them blue again.",
    "Which fruit trees are easiest to grow in a small garden in a cold climate, say USDA "
    "zone 4?",
    # sports science and nutrition
    "Is static stretching before a run useful, or should I be doing dynamic warm-ups?",
    "How does altitude training improve endurance, and how long do the benefits last once "
    "you come back down?",
    "what's zone 2 training and why is every podcast suddenly talking about it",
    "Is creatine worth taking for someone like me, and is it safe? I'm a 41-year-old "
    "woman, I lift weights three times a week, and I want to get stronger while losing "
    "about 6 kg. Tell me what the studies actually show for women and for older "
    "lifters, the side effects and myths (kidneys, water weight, hair loss), how much to "
    "take, and how it fits with protein intake and a calorie deficit.",
    # AI, security, networking and computing explained
    "Explain how the attention mechanism in a transformer works, without code, to someone "
    "who knows basic linear algebra.",
    "What's the difference between fine-tuning a language model and retrieval-augmented "
    "generation? Our insurance company wants an assistant that answers staff questions "
    "about our 4,000 pages of policy documents, which change every quarter. Leadership "
    "is split between the two approaches. Explain, without code, how each works, what "
    "each costs to keep current, how each fails, and which you would recommend for us. "
    "End with a short comparison table.",
    "why do large language models make things up",
    "I'm a hospital administrator, not a technical person. Vendors keep pitching us AI "
    "tools for radiology triage and early sepsis warnings. Explain in plain language what "
    "these systems actually do, which questions I should ask vendors about validation and "
    "bias, and what tends to go wrong after they are deployed. Format it as a short "
    "briefing with a section for each of those three points.",
    "How does public-key cryptography let two strangers talk securely over the internet?",
    "What is a zero-day exploit, and how do companies usually find out they've been hit "
    "by one?",
    "What's the difference between a VPN and Tor, and does a VPN really make me anonymous "
    "online? What does each protect against, and what doesn't it?",
    "I have an interview next week for an IT support job and I've been told they always "
    "ask this: what happens, step by step, between typing a website address into a "
    "browser and seeing the page? Walk me through it at the level of detail an "
    "interviewer would expect, covering DNS, TCP and TLS, the HTTP request and the "
    "rendering, and point out the places where things usually go wrong for users so I "
    "can connect it to support work.",
    "In plain terms, what is Kubernetes and why would a company bother with it? I work in "
    "finance and keep hearing the word in budget meetings.",
    # product comparisons
    "Kindle Paperwhite or Kobo Clara for someone who borrows most of their books from the "
    "library?",
    "Compare induction, gas and ceramic hobs for a small kitchen: upfront cost, running "
    "cost, speed, cleaning and which pans work. Put it in a table.",
    "I want to get into photography, mostly hiking landscapes and my kids' football "
    "matches, and I have about $900 for a body and a lens. A friend is selling his "
    "full-frame DSLR with a 24-105 lens for that price; the other option is a new APS-C "
    "mirrorless camera with the kit lens. Compare the two for my uses: image quality, "
    "autofocus for sport, weight on long hikes, lens upgrades later and resale value. "
    "Which would you pick, and why?",
    # geopolitics, climate, energy and astronomy
    "Why is the South China Sea so contested? Explain who claims what and on what basis.",
    "How does the veto in the UN Security Council work, and why has it been so hard to "
    "reform?",
    "Does eating less meat cut a person's carbon footprint more or less than flying less? "
    "Give rough orders of magnitude.",
    "Our company, a 200-person design agency, wants to publish its greenhouse gas "
    "emissions for the first time next year. What are scope 1, 2 and 3 emissions, which "
    "of them usually matter most for an office-based business like ours, where does the "
    "data normally come from, and what are the typical mistakes that get companies "
    "accused of greenwashing? Finish with a rough timeline for the first year.",
    "On a grid with lots of solar power, how do operators cope with the evening drop when "
    "the sun sets and everyone comes home and turns things on? Explain the main tools "
    "they use today, such as batteries, gas peakers, interconnectors and demand response, "
    "and which of them are likely to matter most by 2040.",
    "I volunteer at a small planetarium and I'm preparing a 20-minute talk for families. "
    "How do astronomers measure the distance to galaxies billions of light years away? "
    "Take me up the whole distance ladder, from parallax to Cepheids, supernovae and "
    "redshift, with an everyday analogy for each rung, and mention where the current "
    "disagreement about the Hubble constant comes from.",
    # linguistics, arts, architecture, cities and transport
    "Why is English spelling so much less consistent than Spanish or Finnish spelling?",
    "How did linguists work out that languages as different as Hindi and Irish are "
    "related?",
    "Explain the musical modes (Dorian, Lydian and so on) to a guitarist who knows major "
    "and minor scales but nothing else.",
    "Why did Stravinsky's Rite of Spring cause such an uproar at its 1913 premiere?",
    "Why did so many cities build brutalist buildings in the 1960s and 70s, and why are "
    "some people now trying to save them?",
    "I'm on the city council of a mid-sized American city (about 250,000 people, flat, "
    "mild winters, lots of wide arterial roads). Several colleagues say Dutch cycling "
    "culture can't be copied because it's cultural. How did Dutch cities actually become "
    "so bike-friendly, what were the specific policies and when were they adopted, and "
    "which of them could a US city realistically start with in the next five years? A "
    "phased list would be ideal.",
    "my 2014 civic makes a grinding noise when i brake, mostly in the morning. is it "
    "dangerous to keep driving and what is it likely to be",
    "My son asked me on a flight why we were so high up and I had no good answer. Why do "
    "airliners cruise at around 35,000 feet rather than lower or higher?",
    # literature, film, statistics concepts and hobbies
    "Our book club is reading Middlemarch over three months and I'm leading the first "
    "session. What are the novel's main themes, how do the Dorothea and Lydgate "
    "storylines mirror each other, and why do critics often call it the greatest English "
    "novel? Suggest five discussion questions at the end that don't give away the plot "
    "beyond book two.",
    "How did the Hays Code shape Hollywood films between the 1930s and 1960s?",
    "Explain what a p-value is and what it is not. I keep seeing it misused in news "
    "articles about health studies.",
    "I'm getting into chess at 38 and I'm stuck around 1200 on online rapid. I play about "
    "five games a day, rarely analyse them, and lose most games to tactics in the "
    "middlegame. What should my study routine look like for the next three months, and "
    "which kinds of resources are worth the time?",
)

CREATIVE_WRITING = (
    # poems, songs and jokes
    "Write a haiku about a commuter train at dawn.",
    "write me a limerick about a seagull who steals chips on the pier",
    "Write a sonnet in strict iambic pentameter about a night-shift nurse at the end of a "
    "long shift.",
    "Compose a villanelle about learning to swim as an adult.",
    "Write song lyrics for an upbeat country song about a pickup truck that refuses to "
    "die. It's for my dad's 65th birthday: the truck is a 1998 Ford he has driven through "
    "two floods, one divorce and a move to Montana, and the whole family will sing it at "
    "the party, so keep the chorus easy to remember and the verses full of small, "
    "specific details. Structure: verse, chorus, verse, chorus, bridge, chorus.",
    "Write a 16-bar rap verse about a food delivery rider working nights in the rain. Lots "
    "of internal rhyme, no cursing.",
    "Write a stand-up comedy bit about self-checkout machines, about two minutes long. The "
    "comedian is a 50-year-old former supermarket cashier who lost her job to these "
    "machines, so the jokes should come from her inside knowledge, with a callback at the "
    "end. Mark where the pauses and the big laugh lines go. Keep it clean enough for a "
    "corporate event.",
    "Give me ten cheese puns for the chalkboard outside my cheese shop.",
    "Write a nursery rhyme that helps toddlers remember to wash their hands.",
    "Write an acrostic poem on the word AUTUMN for my daughter's class display.",
    "Escribe un poema corto sobre el olor de la lluvia en una tarde de verano en Madrid.",
    # stories and scripts
    "Write a short story of about 800 words set on a generation ship, where the only "
    "person who still remembers Earth is a 90-year-old gardener. Constraints: present "
    "tense; no dialogue tags other than 'said'; a twist that is quietly set up in the "
    "first paragraph; and end on an image rather than an explanation.",
    "Write a 100-word piece of flash fiction about a vending machine that gives people "
    "what they need instead of what they paid for.",
    "Write the opening scene of a screenplay in which two estranged sisters meet at the "
    "auction of their late father's furniture. Nadia, the elder, stayed in the town and "
    "nursed him; Ruth left at eighteen and became a successful architect in Chicago. "
    "Neither mentions the real reason they stopped talking, but the audience should sense "
    "it through a fight over a cheap kitchen clock. Use standard screenplay format, about "
    "three pages.",
    "Write a ghost story set in a 24-hour laundromat, under 600 words, in which the ghost "
    "is never described directly.",
    "Write a saga-style tale, in the voice of an old Norse skald, about a Viking who "
    "discovers coffee on a raid and tries to bring it home.",
    "Write a dialogue between Socrates and a modern lifestyle influencer about what makes a "
    "good life. Keep Socrates asking questions and let the influencer score a point or two. "
    "Set it in a queue for an airport security check, about 600 words, formatted like a "
    "play script, and end with neither of them fully convinced.",
    "Write the text of a children's picture book about a hedgehog who is afraid of the "
    "dark. It's for my nephew, who is four and has just started refusing to sleep without "
    "the hall light on, so the hedgehog should discover that the night has friendly "
    "things in it (owls, moths, stars) rather than being told not to be silly. Twelve "
    "spreads, one or two sentences each, a repeated line the child can say along with, "
    "and a gentle ending.",
    "My fantasy novel needs a description of the port city of Vael, which is built inside "
    "the ribs of a dead sea giant. Two paragraphs, lots of sensory detail (smell, sound, "
    "texture), and no history lesson: the reader should infer the past from what they see.",
    "Write a villain monologue for my tabletop campaign. The villain is a lich who used to "
    "be the town's beloved librarian and feels the townsfolk betrayed her. She is speaking "
    "to the party in the flooded archive where they finally corner her. Around 250 words, "
    "menacing but sad, with one line the players will quote back for weeks.",
    "Write the back-cover blurb for my cosy mystery: a retired beekeeper, a murder at the "
    "village honey show, and a nephew who is the detective on the case.",
    # speeches and personal writing
    "Write wedding vows for me to read to my partner Jo. We're both nurses and met on a "
    "night shift when the power failed and we spent two hours doing observations by "
    "torchlight. We love hill walking, Jo always carries too many snacks, and we have a "
    "rescue dog called Pickle. I'd like it under a minute spoken, with a couple of those "
    "details, a light laugh near the start and nothing cheesy.",
    "Write the speech I'll give when I hand over the captaincy of our amateur cricket club "
    "after eight seasons: thank people, tell one story about the 2019 rain-soaked final, "
    "and welcome the new captain, Tomasz. About three minutes spoken.",
    "Write a two-minute speech for the mayor to give at the opening of a new skate park, "
    "one that wins over the residents who campaigned against it.",
    "Write a half-time team talk for an under-14 girls' football team that is 2-0 down but "
    "has been playing well.",
    "Schreib mir bitte eine kurze, lustige Rede zum 70. Geburtstag meines Vaters, der "
    "leidenschaftlich gern campen geht.",
    "Write a retirement card message for a bus driver who drove the same route for 31 "
    "years. short and warm",
    "write a breakup text thats kind but clear, weve been dating about two months and its "
    "just not there",
    # letters and emails
    "Write an email to my neighbour asking them to trim the hedge that blocks the view "
    "when we pull out of our driveway. Friendly, but clear that it's a safety issue.",
    "Write a letter to my son's school asking for three days of term-time absence so "
    "he can attend his aunt's wedding in Poland.",
    "Write a personal statement for my application to a master's in marine biology. I "
    "studied chemistry, spent two summers volunteering on a seal rescue project in "
    "Cornwall, and want to work on plastic pollution in coastal waters.",
    "Write an apology letter to our neighbours for the noise at our party last Saturday, "
    "and invite them to a barbecue to make up for it.",
    "Write a complaint letter to an airline about a suitcase that arrived nine days late. "
    "I was flying to Lisbon for a conference on 3 May, filed the report at the airport, "
    "and had to buy a suit, shoes and toiletries for €640 (receipts attached). Customer "
    "service has since closed my case twice without a reply. Ask for full reimbursement "
    "plus compensation under the Montreal Convention, keep the tone firm and factual, and "
    "set a 14-day deadline.",
    "Write a fundraising letter for an animal shelter's winter heating appeal, to be sent "
    "to past donors. Facts: we care for about 60 dogs and 40 cats, our oil boiler is 22 "
    "years old, last winter's heating bill was £9,400, and we want to raise £15,000 to "
    "replace it with a heat pump. Open with the story of one animal, mention that £25 "
    "heats a kennel for a week, and finish with a clear ask. One page.",
    "Turn these notes into a warm thank-you email to the volunteers who ran our charity "
    "10K:\n- 140 runners\n- raised £8,200\n- rain all morning\n- the water station at "
    "km 5 ran out, sorry\n- next year's date is 14 June",
    "Write a LinkedIn post saying I was laid off last week and am looking for operations "
    "roles in logistics, without sounding bitter or desperate. Seven years at the same "
    "company, last role was warehouse operations manager for a site of 120 people, cut "
    "picking errors by a third. Mention that I'm open to relocating within the Midlands, "
    "thank my old team, and keep it under 200 words.",
    # rewriting and polishing a supplied text
    "Rewrite this paragraph so it sounds professional and confident enough for a grant "
    "application, keeping every fact:\n\n'so basically our group has been running free "
    "repair cafes in the library for like 3 years now, people bring broken stuff and "
    "volunteers fix it. we fixed about 1200 things last year which is pretty cool and "
    "keeps stuff out of landfill. we want money for tools and to open a second one on the "
    "east side because people there cant easily get to us.'",
    "Make this email less passive-aggressive but keep the point: 'As I mentioned in my last "
    "three emails, the report is still missing. Per my previous message, please send it "
    "today.'",
    "Polish my dating profile so it sounds like a real person with a sense of humour, "
    "under 300 characters: 'I like hiking, cooking and dogs. Looking for someone nice. "
    "No drama.'",
    "Réécris ce paragraphe dans un style plus soutenu, pour le rapport annuel de notre "
    "association : « On a fait plein de trucs cette année, le club a grandi et les gens "
    "sont contents. »",
    "Rewrite this product description for a younger audience on social media, playful, "
    "with emojis allowed: 'The AquaPure filter jug removes chlorine and limescale and "
    "improves the taste of tap water. Each cartridge lasts four weeks.'",
    "Continue this story for another three paragraphs in the same voice: 'The letter "
    "arrived forty years late, its stamp showing a king who had long since abdicated. "
    "Margaret knew the handwriting at once.'",
    # marketing copy, product copy and prompts for models
    "Write a 120-word product description for an insulated steel water bottle aimed at "
    "road cyclists, followed by three bullet points.",
    "Come up with 15 slogans for a neighbourhood electric bike rental service.",
    "Write a thread of six posts for our city library's social media announcing that it "
    "now lends power tools. The first post needs a hook.",
    "Write a 30-second radio ad for a family-run pizzeria celebrating 40 years. Founded by "
    "Grandpa Enzo in 1985, now run by his granddaughter Lucia; anniversary offer: every "
    "pizza at 1985 prices on Tuesdays in June. Include sound effect cues, two voices "
    "(Lucia and an old regular), and end with the address and phone number read clearly.",
    "Write a real estate listing for a two-bedroom stone cottage with low ceilings, a "
    "wood stove and a very overgrown garden. It's 1.5 miles from the village shop, the "
    "bathroom is downstairs, the roof was redone in 2021, and the asking price is "
    "£285,000. Make the quirks sound charming but stay honest, around 200 words, with a "
    "headline and a short list of key features at the end.",
    "Write menu descriptions for five dishes at a Georgian restaurant: khachapuri, "
    "khinkali, pkhali, chakapuli and churchkhela. One or two tempting sentences each.",
    "Write the museum label, about 80 words, for a Roman oil lamp found during sewer works "
    "in London.",
    "Write the intro script for the first 45 seconds of a YouTube channel that restores old "
    "hand tools. Hook the viewer in the first five seconds.",
    "Give me a description and three title options for a podcast episode about the history "
    "of salt.",
    "Write a 30-second elevator pitch for my startup, which rents out camping gear by "
    "monthly subscription. Numbers I can use: 1,200 subscribers in our first year, 70% "
    "renew, and the average customer saves about $400 compared with buying. The audience "
    "is a room of outdoor-industry investors, so skip explaining camping and focus on the "
    "business. Give me one version to say out loud and one shorter version for an email.",
    "Write a system prompt for a chatbot that helps secondary school students with history "
    "homework. It must ask guiding questions instead of writing essays for them, refuse "
    "politely when asked for a full essay, and say where a fact comes from when it states "
    "one.",
    "Act as a prompt engineer. I need a prompt for a language model that turns a customer "
    "interview transcript into a one-page persona. Requirements: 1. the persona has a name, "
    "role, goals, frustrations and three direct quotes from the transcript; 2. the model "
    "must not invent facts that aren't in the transcript and must mark guesses as guesses; "
    "3. output in Markdown with fixed headings; 4. under 400 words. Write the prompt and "
    "a one-line note on why each part is there.",
    "Write a detailed prompt for an image generator: a cosy second-hand bookshop at night "
    "in the rain, seen from the street, warm light, a cat in the window, in the style of "
    "a watercolour illustration.",
)

MATH = (
    # calculus and analysis
    "Differentiate f(x) = e^(-x^2) * cos(3x) and simplify.",
    "integrate x*e^(2x) dx, show steps pls",
    "Find the area enclosed between y = x^2 and y = 2x + 3.",
    "A 5 m ladder leans against a wall and its foot slides away at 0.5 m/s. How fast is the "
    "top sliding down when the foot is 3 m from the wall?",
    "Solve the differential equation dy/dx = 2xy with y(0) = 3. I'm revising for a first-"
    "year exam and I always lose marks on separable equations, usually on the constant: "
    "show every step, including where the absolute value from the logarithm goes, check "
    "the answer by differentiating it, and say what y(1) is to three decimal places.",
    "Write out the Taylor series of cos(x) about 0 up to the x^6 term and use it to "
    "estimate cos(0.2). How large can the error be?",
    "Evaluate the sum of 1/2 + 1/4 + 1/8 + ... and explain why 1 + 1/2 + 1/3 + ... has no "
    "finite sum.",
    # algebra, linear algebra and geometry
    "Solve for x: 3^(2x) - 4*3^x + 3 = 0.",
    "Diagonalise the matrix [[4, -2], [1, 1]]: give P and D with A = P D P^-1.",
    "Given u = (1, 2, 2) and v = (3, 0, 4), find the angle between them and the projection "
    "of u onto v.",
    "Convert the polar equation r = 4 cos(theta) to Cartesian form and describe the curve.",
    "Un triángulo tiene lados de 7, 8 y 9 cm. ¿Cuál es su área? Muestra el procedimiento.",
    "How many rectangles of any size can be found on a standard 8x8 chessboard?",
    # proofs and number theory
    "Prove that log base 2 of 3 is irrational.",
    "Prove by induction that 1 + 3 + 5 + ... + (2n - 1) = n^2 for every positive integer n.",
    "Find the remainder when 7^100 is divided by 13.",
    "Prove that the product of four consecutive integers, plus one, is always a perfect "
    "square.",
    "Show that f(x) = x^3 + x - 1 has exactly one real root.",
    # probability, combinatorics and statistics
    "Two cards are drawn from a shuffled deck without replacement. What is the probability "
    "that both are hearts, and that at least one is an ace?",
    "In a class of 30 students, what's the probability that at least two share a birthday? "
    "Show the calculation, ignoring leap years.",
    "A screening test is 98% sensitive and 95% specific, and 1% of the population has the "
    "disease. If someone tests positive, what is the probability they actually have it? "
    "Explain each step so I can redo it with other numbers.",
    "I do quality control at a lighting factory. The supplier claims their LED bulbs last "
    "1,000 hours on average. We tested a sample of 64 bulbs: the mean lifetime was 1,020 "
    "hours with a standard deviation of 80 hours. Construct a 95% confidence interval for "
    "the mean lifetime, then test the supplier's claim against the alternative that the "
    "true mean is higher. Show the formulas with the numbers plugged in, and say whether "
    "the sample size is large enough for the normal approximation.",
    "We're hosting a dinner for 8 at a round table, and two of the guests, my uncle and his "
    "ex-business partner, must not sit next to each other. Seatings that are rotations of "
    "each other count as the same. How many acceptable seatings are there? Then, if my "
    "wife and I also insist on sitting together, how many are left? Please show the "
    "counting argument rather than just the numbers.",
    "How many five-card poker hands contain exactly two pairs?",
    "A fair die is rolled until a 6 comes up. What is the expected number of rolls, and "
    "the probability that it takes more than 10? Then a second game: I win $5 if the "
    "first 6 arrives within three rolls and lose $2 otherwise. What is my expected "
    "winnings per game? Derive each answer rather than simulating.",
    "Machine A makes 60% of a factory's parts and 2% of its parts are defective; machine B "
    "makes the rest and 5% of its parts are defective. A part picked at random is "
    "defective. What is the probability that machine B made it?",
    "I ran an A/B test on our checkout page. Version A had 1,840 visitors and 92 purchases; "
    "version B had 1,910 visitors and 121 purchases. Using a two-proportion z-test at the "
    "5% level, is B's conversion rate significantly higher than A's? Work it out by hand: "
    "the pooled proportion, the standard error, the z statistic and the one-sided p-value, "
    "then state the conclusion in one sentence.",
    "Wie groß ist die Wahrscheinlichkeit, beim Lotto 6 aus 49 genau vier Richtige zu "
    "haben? Bitte mit Rechenweg.",
    # physics, chemistry and engineering calculations
    "A 1,200 kg car accelerates from rest to 27 m/s in 9 seconds. What is the average net "
    "force on it, and how far does it travel in that time?",
    "calculate the pressure at the bottom of a 12 m deep freshwater lake, including "
    "atmospheric pressure",
    "I'm checking my son's physics homework and we got different answers. A 6-ohm and a "
    "3-ohm resistor are in parallel, and that pair is in series with a 4-ohm resistor "
    "across a 12 V battery. Find the equivalent resistance, the current through each "
    "resistor, the voltage across the parallel pair and the power the battery delivers. "
    "Please show each step so we can see where one of us went wrong.",
    "How many grams of CO2 are produced when 50 g of propane burns completely in oxygen? "
    "Start from the balanced equation, use molar masses C = 12.01, H = 1.008 and "
    "O = 16.00, and also give the mass of oxygen consumed and the volume of CO2 at STP. "
    "This is for a chemistry tutoring session, so label every step.",
    "A projectile is launched from the ground at 30 m/s, 40 degrees above the horizontal. "
    "Find its maximum height, time of flight and range, with g = 9.81 m/s^2 and no air "
    "resistance.",
    "I want to know what my kettle actually costs me. It is rated at 2 kW and I reckon it "
    "is about 90% efficient. How much energy does it take to heat 1.7 litres of water "
    "from 12°C to boiling, how long should that take, and what does it cost per boil at "
    "28 pence per kWh? If I boil it four times a day, what is that over a year?",
    "What is the orbital period of a satellite in a circular orbit 400 km above Earth's "
    "surface? Use G = 6.674e-11, Earth's mass 5.97e24 kg and radius 6,371 km. Then find "
    "its orbital speed, and how much higher it would have to orbit for the period to be "
    "exactly two hours. I'm an amateur radio operator trying to understand pass times, "
    "so give the final answers in minutes and km/s.",
    "A simply supported beam 6 m long carries a uniform load of 4 kN/m over its whole "
    "length. What is the maximum bending moment, and where along the beam does it occur? "
    "Also give the reactions at both supports.",
    "The half-life of carbon-14 is 5,730 years. A bone contains 18% of its original "
    "carbon-14. How old is it?",
    "A cylindrical tank with a radius of 1.5 m is filled at 0.2 cubic metres per minute. "
    "How fast is the water level rising?",
    # money and everyday word problems
    "I'm buying a used car for $18,000 and the dealer offers a 5-year loan at 6.9% APR "
    "with monthly payments, or a 3-year loan at 5.4%. For each option, what is the "
    "monthly payment and the total interest paid? How much more per month would the "
    "shorter loan cost me, and how much interest would it save over its life?",
    "How long does it take money to double at 6% compounded quarterly? Compare the exact "
    "answer with the rule of 72.",
    "A bakery sells croissants at $2.50 and muffins at $3. On Saturday it sold 240 items "
    "and took $672. On Sunday it sold 30 fewer items in total, but twice as many muffins "
    "as croissants, and raised the croissant price by 20 cents for the day. How many "
    "muffins did it sell on Saturday, and how much did it take on Sunday? Set it up as "
    "equations and solve them step by step.",
    "Train A leaves city X at 9:00 travelling at 80 km/h towards city Y, 300 km away. Train "
    "B leaves Y at 10:00 at 100 km/h towards X. At what time and how far from X do they "
    "meet?",
    "Ada can tile a bathroom floor in 10 hours and Ben in 15. They work together for 4 "
    "hours, then Ada leaves. How much longer does Ben need to finish?",
    "How many litres of a 40% acid solution and a 10% solution must be mixed to get 5 "
    "litres of a 25% solution?",
    "I'm valuing a small rental garage for my own curiosity. It brings in $500 a year "
    "after costs and I expect it to do so indefinitely. What is its present value at a "
    "4% discount rate? What if the rent grows 1% a year, and what if the discount rate "
    "is 6% instead? Show the perpetuity formulas and how sensitive the value is to each "
    "assumption.",
)

REASONING = (
    "Consider three statements. 1: 'Exactly one of these statements is false.' 2: "
    "'Exactly two of these statements are false.' 3: 'All three of these statements are "
    "false.' Which of them, if any, can be true?",
    "I grow shorter the longer I work, I weep without eyes, and your breath can end me. "
    "What am I?",
    "Four neighbours, Ana, Ben, Chloe and Dev, each own a different pet (a cat, a dog, a "
    "parrot and a tortoise) and each drive a different coloured car (red, blue, green and "
    "white). Clues: 1. The dog's owner drives the white car. 2. Ana owns neither the cat "
    "nor the dog, and her car is not red. 3. Chloe's car is red. 4. Dev drives the blue "
    "car. 5. The tortoise belongs to whoever drives the red car. Who owns the cat, and "
    "what colour is Ana's car? Explain how each clue narrows it down.",
    "Three hikers pay $30 for a cabin. The owner realises the price is $25 and sends a "
    "helper back with $5; the helper keeps $2 and returns $1 to each hiker. Now each hiker "
    "has paid $9, and 3 x 9 + 2 = 29. Where did the other dollar go?",
    "Three boxes, one holds gold. Box A says 'The gold is in this box.' Box B says 'The "
    "gold is not in this box.' Box C says 'The gold is not in box A.' Exactly one label "
    "is true. Where is the gold?",
    "All the violinists in the orchestra are left-handed. Some of the left-handed players "
    "wear glasses. Does it follow that some violinists wear glasses?",
    "If it rains, the match is cancelled. The match was not cancelled. What can we "
    "conclude? And if instead we only know that it didn't rain, what can we conclude "
    "about the match?",
    "Alice is taller than Bob, Carol is shorter than Dan, and Bob is taller than Dan. Who "
    "is the shortest, and can we tell who is the tallest?",
    "Five runners finished a race. Mia beat Noor but lost to Olu. Pia finished right "
    "after Noor. Quin was neither first nor last and finished ahead of Mia. What was the "
    "finishing order?",
    "Four cards lie on a table showing A, K, 4 and 7. Each has a letter on one side and a "
    "number on the other. Rule: if a card has a vowel on one side, it has an even number "
    "on the other. Which cards must you turn over to check the rule, and why not the "
    "others?",
    "A conference has five talks in one room, given by P, Q, R, S and T, one after "
    "another. The organiser only remembers this: Q spoke immediately after P; R was "
    "neither first nor last; S spoke at some point before P; R also spoke before P; and "
    "T closed the day. Work out the full order of speakers, and show why no other order "
    "fits all of the constraints.",
    "Amir, Bella and Chen are a doctor, a pilot and a chef, though not necessarily in that "
    "order. The pilot is older than Bella and lives next door to Chen. Chen can't cook at "
    "all. Who does which job? I'm setting this for a class of twelve-year-olds, so lay "
    "out the deduction in small steps, the way you'd want them to write it, and say "
    "which clue does the most work.",
    "Adivinanza: cuanto más le quitas, más grande se hace. ¿Qué es?",
    "I have a neck but no head, I wear a cap, and I'm emptied at every party. What am I?",
    "You stand before two doors: one leads out, the other to a dead end. Each door has a "
    "guard; one always lies and one always tells the truth, and you don't know which is "
    "which. You may ask one guard one yes-or-no question. What do you ask?",
    "Three friends sit in a row facing forward: the one at the back sees the two in front, "
    "the middle one sees only the front one, and the front one sees nobody. Their hats "
    "come from a bag that held 3 red and 2 white hats. The back one says, 'I don't know "
    "my colour.' The middle one then says, 'Neither do I.' The front one says, 'Then I "
    "know mine.' What colour is the front hat, and how did she work it out?",
    "Someone ate the last slice of cake, and there are four suspects. Exactly one of them "
    "is lying. Asha: 'Bruno did it.' Bruno: 'Dana did it.' Cleo: 'I didn't do it.' Dana: "
    "'Bruno is lying.' Who ate the cake? Show how you rule out the others.",
    "37 teams enter a knockout tournament. Every game has a winner, and a bye is not a "
    "game. How many games are played before there is a champion? There's a trick that "
    "avoids counting rounds.",
    "O, T, T, F, F, S, S, E, ... what are the next two letters?",
    "A woman points at a man in a photo and says: 'His mother is my mother's only "
    "daughter.' How is the man related to her?",
    "Crack the three-digit padlock code from these hints. 529: one digit is right and in "
    "the right place. 581: one digit is right but in the wrong place. 973: two digits are "
    "right but both in the wrong places. 460: nothing is right. 316: one digit is right "
    "but in the wrong place. What is the code? Please reason through the hints one at a "
    "time instead of just guessing, and say which hint turned out to be redundant.",
    "Is this argument valid? All poets are dreamers. No accountants are dreamers. Therefore "
    "no accountants are poets.",
    "Four people must cross a rope bridge at night with one lantern. At most two can be on "
    "the bridge at once, anyone crossing needs the lantern, and a pair moves at the slower "
    "person's pace. They take 1, 2, 7 and 10 minutes. Can everyone be across in 17 "
    "minutes? Most people first try sending the fastest person back and forth every time "
    "and get 20. Explain why that intuition fails and give the schedule that works.",
    "In a dark room you are handed 20 coins and told that exactly 7 are heads up. You "
    "can't see or feel which. How can you split them into two groups with the same number "
    "of heads up?",
    "a drawer has 10 black socks and 10 blue socks all mixed up and its pitch dark. how "
    "many do i need to grab to be sure of a matching pair? and to be sure of a black pair?",
)

CHAT = (
    "yo whats up. stuck at the airport with a 3 hour delay and my phone's at 40%",
    "I just got engaged!!! I had to tell someone",
    "Let's play a word chain: each word starts with the last letter of the one before. "
    "I'll start: lantern.",
    "Can we play 20 questions? This time you think of something and I'll do the guessing.",
    "Be the game master for a murder mystery on a night train in the 1920s. Introduce the "
    "passengers, let me question them one at a time, and don't reveal anything I haven't "
    "earned. Keep a list of clues I've found and show it when I ask.",
    "You're a bored museum guard on the night shift and I'm the last visitor, who hasn't "
    "noticed it's closing time. Stay in character.",
    "Be my supportive gym buddy for the next hour. I'll text you between sets. It's leg "
    "day, I've been skipping it for a month and I'm already regretting coming. Hype me up, "
    "give me a hard time when I whine, and ask how the set went each time I come back. "
    "No lectures on form unless I ask, just keep me going.",
    "My night shift just ended and everyone I know is asleep. Keep me company while I "
    "wait for the first bus?",
    "Tell me about yourself. What do you like to do for fun?",
    "Good morning! I'm on my first coffee and not ready to be a person yet.",
    "Let's have a friendly rap battle. You go first, then I'll answer.",
    "Let's play chess in text. I'm white. 1. e4",
    "Quiero practicar mi español. Sé mi compañero de conversación: habla solo en español, "
    "con frases sencillas, y pregúntame qué hice este fin de semana.",
    "Hallo! Hast du Lust, ein bisschen zu plaudern? Mir ist gerade total langweilig.",
    "Salut ! On joue aux devinettes ? Tu commences, et ne me donne pas la réponse trop vite.",
    "I GOT THE JOB. the one I was so nervous about. I can't stop smiling",
    "Be a hard-boiled noir detective narrating my very ordinary Tuesday as I tell it to "
    "you, one moment at a time. Full rain-on-the-window voice, dramatic suspicion of my "
    "coworkers and the office coffee machine, and never more than four sentences per "
    "moment. First moment: I'm making toast and the butter is too cold.",
    "Let's write a story together, one sentence each, and you're not allowed to end it "
    "before I do. I'll start: The last bus of the night never stopped at Elm Street, "
    "until tonight.",
    "ugh mondays. talk me out of going back to bed",
    "You're a retired astronaut at a dinner party, and I'm the awkward guest seated next "
    "to you who knows nothing about space. Make small talk with me. Don't lecture; be the "
    "kind of person who asks about me too, and let the conversation wander wherever it "
    "goes.",
    "My dog died yesterday. I don't want advice. I just want to tell someone about him. "
    "His name was Biscuit and he was fourteen, and he used to steal socks and hide them "
    "under the sofa. He waited by the door every day at half past five, and today I "
    "caught myself looking at the door at half past five. Can I just tell you about him "
    "for a bit?",
    "Would you rather be able to talk to animals or speak every human language? You "
    "answer first, then ask me one.",
    "Roleplay: you're a customer service agent for an interplanetary airline and I'm a "
    "passenger whose luggage has ended up on Mars. I'm furious. You're cheerful, stuck "
    "with a script, and can only offer vouchers for the Venus lounge. Stay in character "
    "however unreasonable I get, keep your replies short, and let's see how long you "
    "can keep smiling. Go.",
    "Quiz me on 90s pop music trivia. One question at a time, wait for my answer, and keep "
    "score. Start easy and get harder as I get them right, mix in a few one-hit wonders, "
    "and after every five questions tell me my score with a silly rank title. If I get "
    "three wrong in a row, tease me a little. Ready when you are.",
    "Let's play a game. You are the ship's computer aboard a submarine in 1962 and I am "
    "the new captain on my first patrol. Rules: 1. never break character, even if I ask "
    "you to; 2. keep each reply under 80 words; 3. end every turn with a short sonar "
    "report; 4. things should slowly get stranger the deeper we go. We dive when you're "
    "ready.",
)
