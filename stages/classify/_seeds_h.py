"""Training prompts, part eight: the word-problem, relation-puzzle, role-play and
plan shapes that the word model still missed on the development part, on new topics.

Hand-written in session 2 after reading the misclassified prompts of the development
part of `bench/eval_analyzer.py` (never the held-out test part). Several follow the
shape, and some the topic, of one of those development prompts closely (none is a copy),
so the development accuracy after this part is optimistic: the test part is what
measures it. Drafts on topics that only a test-part cluster's name suggested (the names
are in `bench/arena_hard_tasks.toml`) were deleted before anything was scored.
"""

from __future__ import annotations

MATH = (
    "Maria buys 4 notebooks at $3.25 each and 2 pens at $1.80 each, and pays with a $20 "
    "bill. How much change does she get?",
    "A charity raised $12,000 in its first year and 25% more each year after. How much "
    "did it raise in total over four years?",
    "A company spends $5,000 on ads in January and each month spends $400 more than the "
    "month before. What is the total spend for the year?",
    "Liam reads 18 pages on Monday, twice as many on Tuesday, and 10 fewer than Tuesday "
    "on Wednesday. How many pages did he read in the three days?",
    "A school has 540 students; 5/9 of them take the bus and a third of the rest walk. "
    "How many students neither take the bus nor walk?",
    "Three friends share a taxi fare of $48 in the ratio 2:3:3. How much does each pay?",
    "A shirt costs $40 after a 20% discount. What was the original price?",
    "When a number is divided by 7 the remainder is 4. What is the remainder when three "
    "times the number is divided by 7?",
    "A printer prints 45 pages a minute. How many minutes does it need for 30 copies of a "
    "27-page report?",
    "In a survey of 200 people, 120 like tea, 90 like coffee and 40 like both. How many "
    "like neither?",
    "The population of a town grows 3% a year from 25,000. In how many years will it pass "
    "40,000?",
    "A rectangle's length is 4 cm more than twice its width, and its area is 96 cm^2. "
    "Find its dimensions.",
)

REASONING = (
    "P is the brother of Q. Q is the daughter of R. How is P related to R?",
    "M is the grandfather of N, and N is the only child of O. What is the relationship "
    "between M and O?",
    "Each puzzle has three statements. 1. Cats are faster than turtles. 2. Turtles are "
    "faster than snails. 3. Cats are faster than snails. If the first two are true, is "
    "the third true, false or uncertain?",
    "Read the facts and answer with an explanation: five runners finished a race. Kim "
    "beat Ola, Ola beat Pia, Raj finished just after Kim, and Sue was last. Who came "
    "third?",
    "There are three doors; behind one is a prize. You pick door one, the host opens door "
    "three to show it is empty. Should you switch? Reason it out.",
    "Some of the guests are vegetarians and none of the vegetarians ate the soup. Did any "
    "guest who ate the soup eat meat? What can and cannot be concluded?",
    "In a village, the barber shaves everyone who does not shave themselves. Who shaves "
    "the barber?",
    "Find the pattern: 2, 6, 12, 20, 30, ... and explain what rule produces it.",
)

CHAT = (
    "Picture yourself as a river that has flowed through the same valley for ten "
    "thousand years. What would you tell the people who built the dam?",
    "Imagine you're a lonely robot on an abandoned space station. Talk to me as if I'm "
    "the first visitor in years.",
    "You are a friendly alien who just landed in my backyard. Say hello and ask me about "
    "Earth.",
    "Act as a patient yoga instructor. I'll tell you how I feel and you respond. I'm a "
    "bit stiff today.",
    "I want you to act as a motivational coach. I will describe my goals and you will "
    "encourage me and keep me on track. Ready when you are.",
    "Stay in character as a sarcastic pirate parrot and answer my next messages.",
    "Hello! I'm bored, entertain me with some small talk.",
    "Pretend you're a tour guide in ancient Rome and I'm a tourist who just arrived.",
)

CREATIVE_WRITING = (
    "You are writing a magazine article about the best hiking trails in Scotland. "
    "Develop an outline with section headings and the main points for each.",
    "Develop an outline for a blog post comparing two budget laptops, with subheadings "
    "for design, performance and battery.",
    "Describe a mysterious stranger arriving in a small town, with vivid sensory detail, "
    "in one paragraph.",
    "Write a scene in which two old rivals meet again at a train station.",
    "Write a catchy jingle for a neighbourhood ice cream van.",
    "Craft an opening hook for a podcast episode about forgotten inventors.",
)

OPEN_QA = (
    "Write me a 16-week plan to prepare for my first full triathlon, with weekly volume "
    "for swimming, cycling and running.",
    "Create a monthly budget plan for a couple earning 5,000 a month who want to save "
    "for a house deposit.",
    "Which philosophers challenged the religious views of their time, and how?",
    "What techniques did the Impressionist painters use to capture light?",
    "Describe the key parts of a rainwater harvesting system for a family home and what "
    "to consider when designing one.",
    "You are an experienced architect. What should I think about when planning an "
    "extension to a Victorian terraced house?",
    "Draft a strategy for a regional airline to win back business travellers after the "
    "pandemic.",
    "Provide a step-by-step plan for organising a charity fun run for 500 participants.",
    "What were the main ideas of the Enlightenment, and how did they shape modern "
    "democracies?",
    "List the possible consequences of the new EU rules on product safety for small "
    "online sellers.",
    "Give me a list of frameworks for personal productivity, such as GTD, and describe "
    "each briefly.",
    "What is the difference between an ETF and a mutual fund, and how are they taxed?",
)

EXTRACTION = (
    "Identify the people, companies and products mentioned in the press release below "
    "and output a JSON dictionary grouped by type.",
    "Extract from each of the texts below the title of the film, the director and the "
    "release year. Output one line per film as 'title, director, year'.",
    "Pull every date and the event that happened on it out of this biography, as a "
    "chronological list.",
    "Read these sentences and identify the countries, their capital cities and the "
    "languages mentioned. Format the answer as JSON.",
)
