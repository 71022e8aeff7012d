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
    "I rented an apartment in California for four years. When I moved out, the landlord "
    "kept $1,400 of my $2,000 deposit for 'general wear' and repainting, and only sent an "
    "itemised list six weeks later. What are my rights, which deadlines did the landlord "
    "have to meet, and what should I do before going to small claims court? I know this "
    "isn't formal legal advice; I just want to understand where I stand.",
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
    "Should I pay off a 4% mortgage early or put the extra money into index funds?",
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
    "I'm preparing for a debate on universal basic income. Give me the strongest economic "
    "arguments for and against it, what the pilot programmes in different countries found, "
    "and the questions that are still open. Put the arguments in a table with columns for "
    "the claim, the evidence and the best counterpoint, then end with a short neutral "
    "conclusion.",
    # history
    "Act as a history professor. What were the main causes of the fall of the Western "
    "Roman Empire? I know the popular list (lead pipes, decadence, barbarians), but I'd "
    "like to hear how historians actually argue about it today, including the view that "
    "it was a transformation rather than a fall. Organise the answer by type of cause "
    "(military, fiscal, political, environmental) and say which you find most convincing.",
    "Why did the Ottoman Empire enter the First World War on Germany's side?",
    "how did the printing press actually change europe",
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
    "Why is the sky blue while sunsets are red?",
    "Explain quantum entanglement without the usual 'spooky action' clichés. What can it "
    "be used for and what can it definitely not do?",
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
    "What kinds of questions come up in a product manager interview at a large tech "
    "company, and how should I prepare for each kind?",
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
    "Why are the lower leaves on my tomato plants turning yellow? They're in pots on a "
    "sunny balcony, I water them every evening, and I haven't fed them since planting.",
    "Which fruit trees are easiest to grow in a small garden in a cold climate, say USDA "
    "zone 4?",
    # sports science and nutrition
    "Is static stretching before a run useful, or should I be doing dynamic warm-ups?",
    "How does altitude training improve endurance, and how long do the benefits last once "
    "you come back down?",
    "what's zone 2 training and why is every podcast suddenly talking about it",
    "Is intermittent fasting better for losing fat than ordinary calorie counting, or does "
    "it just make eating less easier for some people? For context I'm a 41-year-old "
    "woman, I lift weights three times a week, and I want to lose about 6 kg without "
    "losing strength. Tell me what the studies show, what the risks are, and how you "
    "would set up either approach for someone like me, including protein targets.",
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
    "Is a password manager really safer than reusing one very strong password? What "
    "happens if the password manager itself gets breached?",
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
    "Compare a heat pump, a gas boiler and electric panel heaters for a small flat in the "
    "UK: upfront cost, running cost and comfort. Put it in a table.",
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
    "Our company, a 200-person design agency, wants to announce that it is carbon "
    "neutral next year, and the quickest route suggested so far is buying offsets. What "
    "are carbon offsets, why have so many of them been criticised, and how can a buyer "
    "tell a credible project from a weak one? What should we do before and instead of "
    "offsetting so the claim holds up if a journalist looks into it?",
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
    "Why were the Impressionists so controversial in their own time?",
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
