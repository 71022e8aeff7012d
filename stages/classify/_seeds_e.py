"""Training prompts, part five: long requests whose task hides behind context, for the
tasks that real prompts blur most (open questions, math, reasoning, extraction), and
persona framings on tasks other than chat. Hand-written, like the other parts.

Added after the first run of `bench/eval_analyzer.py` showed long open questions to be
the weakest task (from its confusion matrix only: no evaluation prompt was read).
"""

from __future__ import annotations

OPEN_QA = (
    "I run a small bakery with two employees and sales have been flat for a year. What "
    "options do I have to grow revenue without taking on debt?",
    "Act as an experienced financial advisor. I'm 30, have some savings and no pension. "
    "How should I think about splitting money between an emergency fund, index funds and "
    "paying off my student loan?",
    "Our hospital wants to reduce waiting times in the emergency department. What are the "
    "main levers, and what have other hospitals done that worked?",
    "Give me an overview of the main theories about why the Bronze Age civilisations of "
    "the Mediterranean collapsed.",
    "What factors should a city consider when deciding between building a light rail line "
    "and expanding its bus network?",
    "You are an expert in supply chains. Explain how a shortage of one component can "
    "ripple through an industry, with a real example.",
    "Provide a detailed explanation of how mortgage rates are set and what a first-time "
    "buyer can do to get a better rate.",
    "As a nutritionist, what would you recommend for someone training for a triathlon who "
    "also wants to lose a few kilos?",
    "What are the strengths and weaknesses of the main approaches to reducing carbon "
    "emissions from agriculture?",
    "I'm a new team lead and two of my senior engineers disagree about everything. What "
    "are good ways to handle this as a manager?",
    "Describe the key differences between the legal systems of common law and civil law "
    "countries, and why it matters for businesses.",
    "What does the research say about the effect of screen time on children's sleep and "
    "attention?",
    "What are best practices for a company that wants to enter the Japanese market with a "
    "consumer product?",
    "Can you explain what a plate boundary is and how it causes volcanoes and earthquakes "
    "in different places?",
    "Help me understand the main schools of thought in economics about whether minimum "
    "wage increases cost jobs.",
    "We are a mid-sized law firm. What should our strategy be for adopting AI tools while "
    "protecting client confidentiality?",
    "What are the most common mistakes people make when renovating an old house, and how "
    "can I avoid them?",
    "Tell me about the history of the printing industry and how it shaped literacy in "
    "Europe.",
    "Which factors determine whether a solar installation on a warehouse roof pays off, "
    "and what indicators should we track once it runs?",
    "Explain the role of gut bacteria in digestion and overall health, for a general "
    "audience.",
)

MATH = (
    "A small company's revenue was 120,000 in 2021 and grew 8% a year. What will it be "
    "in 2026, and in which year does it first pass 200,000?",
    "A bag has 4 red, 6 green and 10 blue marbles. If I draw three without replacement, "
    "what is the probability they are all different colours?",
    "I walk 5,000 steps in 40 minutes. At that pace, how long will it take to reach 12,000 "
    "steps, and how many steps is that per minute?",
    "Let n be a positive integer. Prove that n^3 - n is divisible by 6.",
    "In a class, 60% of students passed maths and 70% passed English; 50% passed both. "
    "What share failed both?",
    "A loan of 25,000 at 6% annual interest is repaid monthly over 5 years. What is the "
    "monthly payment?",
    "A rectangular garden is 3 m longer than it is wide and has an area of 108 square "
    "metres. How much fencing goes around it?",
    "Two cyclists start 90 km apart and ride toward each other at 18 and 27 km/h. When and "
    "where do they meet?",
    "A test has a false positive rate of 5% and the condition affects 2 in 1000 people. "
    "What fraction of positive results are true positives?",
    "If the sum of three consecutive even numbers is 78, what are the numbers?",
    "How many ways are there to choose a committee of 4 from 10 people if two particular "
    "people refuse to serve together?",
    "We want to estimate a proportion within 3 percentage points at 95% confidence. How "
    "large a sample do we need?",
    "Find all integer solutions of x^2 - y^2 = 45.",
    "A tank holds 500 litres and leaks 2% of its contents every hour. How much is left "
    "after a day?",
    "Is the function f(x) = |x| differentiable at 0? Prove your answer.",
    "Ticket prices are 12 for adults and 7 for children; 300 tickets sold for 2,900. How "
    "many of each were sold?",
)

REASONING = (
    "Three people check into a hotel room that costs 30, each paying 10. The clerk later "
    "refunds 5, the bellboy keeps 2 and gives each guest 1 back. Where did the missing "
    "dollar go?",
    "Every guest at a dinner shook hands once with every other guest, 28 handshakes in "
    "all. Without writing equations, reason out how many guests there were.",
    "A snail climbs 3 metres up a 10 metre wall each day and slips back 2 metres each "
    "night. On which day does it reach the top? Explain your reasoning.",
    "If the day after tomorrow is Friday, what day was the day before yesterday?",
    "Paul is standing in a queue. There are 5 people in front of him and he is third from "
    "the end. How many people are in the queue?",
    "A bookshelf holds red, green and blue books. The red book is left of the blue one, "
    "the green book is not at an end. Which order is possible?",
    "Sara said: 'I was not at the party.' Tom said: 'Sara was at the party.' Only one of "
    "them is lying. Who was at the party?",
    "A cube painted red on all sides is cut into 27 small cubes. How many small cubes "
    "have exactly two red faces? Explain the reasoning.",
    "If all managers in the company attend the Monday meeting and Kim did not attend, what "
    "can we conclude about Kim?",
    "Look at the pattern 2, 6, 12, 20, 30. What is the rule and what comes next?",
    "Out of five boxes, exactly one holds a prize. Each box has a statement on it and only "
    "one statement is true. Which box holds the prize?",
    "A man has to get a fox, a chicken and a sack of grain across a river in a boat that "
    "fits only one of them. What is the plan and why does it work?",
)

EXTRACTION = (
    "Go through the support chat below and list each product code the customer "
    "mentions, with the problem they report for it.",
    "Here is a block of text copied from a conference website. Return a JSON list of the "
    "talks with speaker, title, room and start time.",
    "From these apartment listings, pull out the rent, the number of rooms and the "
    "neighbourhood of each, as a table.",
    "From the paragraph below, find the name of the company, the year it was founded and "
    "the name of its current CEO.",
    "Read these five news snippets and output the date, place and number of people "
    "involved in each event.",
    "Take the following recipe text and output only the list of ingredients with "
    "quantities in YAML.",
    "Given this paragraph about several planets, list each planet with its distance from "
    "the sun and the number of moons mentioned.",
    "Which people are mentioned in this text, and what is the job of each one?",
    "Pick out every sentence from this essay that states a statistic, and give the "
    "number it states.",
    "From the following customer emails, extract the order number and the issue in a "
    "table with one row per email.",
)

CREATIVE_WRITING = (
    "Act as a copywriter and write a short, punchy landing page headline and subtitle for "
    "an app that helps people track their plants.",
    "Write a brief, friendly email to my team announcing that we hit our quarterly goal, "
    "and thank them.",
    "Compose a short story opening in which a character discovers they can hear other "
    "people's thoughts.",
    "Draft a heartfelt letter from a grandmother to her grandson leaving for university.",
    "Write a poem about a city waking up, with exactly four lines per stanza.",
    "Pretend you are a travel writer and write a vivid paragraph about a night market.",
)

CHAT = (
    "Pretend you are a famous explorer just back from the Arctic. I am a journalist. "
    "Answer my first question: what was the hardest part?",
    "You are a grumpy cat who can talk. Tell me what you think of my new sofa.",
    "Take on the persona of a 1950s radio host and chat with me about the weather.",
    "Let's role-play: you are a pirate captain and I just asked to join your crew. "
    "Respond in character.",
    "Imagine you are my personal fitness coach and I've just skipped the gym for a week. "
    "What do you say to me?",
    "Act like a medieval knight meeting me at a tavern and keep the conversation going.",
)
