"""Training prompts, part nine: documents and prompts as writing, extraction and
classification over a supplied text with a format asked for, everyday questions that
mention software, and short puzzles and word problems.

Hand-written in session 3 after the evaluation moved to per-prompt labels
(`bench/task_labels.toml`), in response to the development part's errors only (never
the held-out test part). The annotator had read every evaluation prompt while labelling
them, so these were kept generic: each answers a kind of error seen on the development
part, on topics of its own, and none follows a test-part prompt.
"""

from __future__ import annotations

CREATIVE_WRITING = (
    "Write a prompt I can give an AI assistant so that it drafts polite replies to "
    "customer complaints, with rules for tone and length.",
    "Improve this system prompt so the model sticks to the rules and stops adding "
    "greetings: 'You are a helpful travel agent. Answer questions about trains.'",
    "Create a prompt template that tells a language model to turn raw meeting notes into "
    "minutes with decisions, owners and deadlines.",
    "Give me a framework for writing good prompts for an AI, phrased as instructions I "
    "can paste into the chat.",
    "Rewrite my prompt so that the model extracts the names it is asked for and answers "
    "only in the requested format. Here is my draft prompt:",
    "Write the background section of a patent application for a bicycle lock that opens "
    "with a phone, describing the existing solutions and their drawbacks.",
    "Draft the claims of a patent for a self-watering plant pot with a moisture wick.",
    "Write a requirements specification for a smart thermostat: functional requirements, "
    "performance, safety and user interface.",
    "Write the technical requirements for this functional requirement: the alarm shall "
    "sound within two seconds of smoke being detected.",
    "Turn this feature description into user stories with acceptance criteria: customers "
    "can save items to a wish list and share it with friends.",
    "Write a project document for an epic that adds automatic reminders to our booking "
    "app, with goals, scope, milestones and the metrics we will track.",
    "Write a blog post for our landscaping company about the benefits of native plants, "
    "with h1 and h2 headings and p tags.",
    "Write a LinkedIn article about how small shops can use AI to write newsletters. Make "
    "it lively and end with a question to the reader.",
    "Here is the opening of my report. Rewrite it to be clearer and more confident, and "
    "tell me what you changed:",
    "Rephrase this paragraph so it reads smoothly and fix the grammar:",
    "Write an outline for an article comparing electric and petrol lawn mowers, with "
    "headings and key points for each section.",
    "Write five multiple-choice questions with three distractors and the correct answer "
    "each, for a quiz about the water cycle.",
    "Write a product description for a handmade leather wallet for our online shop.",
    "Suggest a chord progression for a slow, sad ballad in A minor.",
    "Write the introduction of my thesis on urban heat islands: the problem, the gap in "
    "the research and my questions.",
    "Design a homebrew subclass for a 5e bard, with features at levels 3, 6, 10 and 14.",
    "Write a character sheet for an elf ranger in my fantasy campaign: stats, background, "
    "personality and equipment.",
    "Write a one-page proposal pitching a mobile app for a chain of gyms to its board.",
    "Write a press release announcing that our bakery has opened a second shop.",
    "Write the welcome email new users of our budgeting app receive on their first day.",
    "Write the text for the landing page of a note-taking app: a headline, three "
    "benefits and a call to action.",
    "Write release notes for version 2.0 of our photo app in a friendly tone for users.",
    "Act as a marketing writer and describe the main features of our fitness app for the "
    "app store listing.",
    "Write a short speech for the launch of our company's new AI assistant.",
    "Write a case study about how a clinic cut waiting times with our scheduling "
    "software, for our website.",
)

EXTRACTION = (
    "Pull every person, company and city out of this press release and return them as a "
    "JSON object grouped by type: 'Yesterday in Lyon, Marie Dubois of Solvix met ...'",
    "From the sentences below, list each country with its capital and official language, "
    "as JSON. a) Lisbon, the Portuguese capital, ... b) ...",
    "Extract the title, author and year of publication from each of these book blurbs, "
    "one book per line: 1) ... 2) ...",
    "Get the item names, quantities and totals from this receipt text and return a "
    "table:",
    "Here is the OCR output of an invoice as a list of text boxes with coordinates. List "
    "each product with its quantity and total price.",
    "Extract every date and amount from the following email and put them in a CSV with "
    "the columns date and amount.",
    "Find all the phone numbers and email addresses in this text and list them:",
    "Read the job ad below and give me the required skills, the salary and the location "
    "as JSON.",
    "List the names of all the medicines mentioned in these patient notes, with dose and "
    "frequency:",
)

CLASSIFICATION = (
    "Rate each of these restaurant reviews from 1 to 5, where 1 is very negative, and "
    "return the scores as a JSON array: 1. ... 2. ... 3. ...",
    "Here are tickets from our help desk. Group them into categories and count how many "
    "fall into each category:",
    "Assign each of these headlines to one of Sports, Politics, Business or Science. "
    "Answer with one category per line and nothing else.",
    "Sort these words into four groups by meaning and give each group a name: ...",
    "Which statement in the list below best matches 'Why are customers cancelling?' Give "
    "a percentage likelihood for each statement.",
    "Read these reviews of three laptops and give each laptop an overall score out of 10.",
    "Put each of these expenses into a budget category: rent, groceries, transport or "
    "leisure.",
    "Label each of the comments below as spam or not spam.",
)

OPEN_QA = (
    "How do I move my bookmarks and open tabs from my old laptop's browser to a new one?",
    "What does the word 'bank' mean in each part of this sentence: we sat on the bank "
    "and talked about which bank to trust?",
    "Could someone work out what I typed from a recording of my keyboard?",
    "How does Finnish mark the object of a sentence? Give an example with a word-by-word "
    "gloss.",
    "Help me design a weather station for a remote mountain hut: sensors, power and how "
    "to send the data.",
    "Design a half-day workshop that helps a team agree on its goals for next year.",
    "Do you agree with this claim: 'remote work makes teams less creative'? Briefly.",
    "List the likely effects of the new data protection rules on small online shops.",
    "What are the best-known systems for organising personal notes? List them and "
    "summarize the top three in more detail.",
    "As an expert electrician, help me plan the electrical system of a camper van.",
    "How does a hospital decide which patients to see first in the emergency room?",
    "What should I look for when buying a second-hand electric bike?",
    "Explain how noise-cancelling headphones work.",
    "How can my peer reviewer's comments on my essay's use of sources be developed "
    "further? Give advice on each point.",
    "Give me a table comparing the main types of home heating: cost, efficiency, upkeep.",
    "What is the difference between a virus and a bacterium, and why do antibiotics only "
    "work on one?",
    "What are the pros and cons of using AI to screen job applicants?",
    "Our mobile app has lots of downloads but few paying users. What could we do about "
    "it?",
    "How should a small company choose between two accounting software packages?",
    "What risks does a hospital take on when it moves patient records to a cloud "
    "platform?",
    "Is it worth paying for a password manager, or is the browser's one enough?",
    "Explain to a manager how machine learning differs from traditional software.",
    "What questions should I ask a vendor before buying a CRM system for my sales team?",
    "Why do phone batteries wear out, and how can I make mine last longer?",
    "What does a product manager at a software company do all day?",
    "How will AI change the work of translators and copywriters?",
    "Discuss whether social media apps should be banned for children under 14.",
)

REASONING = (
    "Anna is taller than Ben. Ben is taller than Carl. Who is the shortest?",
    "M is the son of N. N is the son of O. What is O to M?",
    "Five friends sit in a row. Ann is not at either end, Bo sits to the right of Cy, and "
    "Di sits next to Ed. Read the clues and say who sits in the middle.",
    "If all bloops are razzies and some razzies are lazzies, must some bloops be lazzies?",
    "A man looks at a portrait and says: 'Brothers and sisters I have none, but that "
    "man's father is my father's son.' Who is in the portrait?",
    "Which one does not belong: apple, banana, carrot, cherry? Explain.",
    "At a firm the manager, the accountant and the engineer are Ada, Ben and Cleo. Ada is "
    "not the manager, and the engineer is Ben's sister. Who is the accountant?",
    "Four colleagues have desks in a row. The director sits at one end, the analyst "
    "next to the director, and Eve is not the analyst. Who could sit at the other end?",
    "Every employee who works late gets a taxi. Sam got no taxi. What can we conclude?",
)

MATH = (
    "A bakery sells 120 loaves on Monday and a third fewer on Tuesday. How many loaves "
    "does it sell on the two days?",
    "On Saturday 5 people took the yoga class and 3 took the spin class, 11 hours in all; "
    "on Sunday 2 took yoga and 6 took spin, 10 hours in all. How long is each class?",
    "Derive a recursive formula for the expected number of coin tosses needed to see n "
    "heads in a row.",
    "A shop invests $5,000 in the first year and 40% more in the second. How much did it "
    "invest over the two years?",
    "A tank is filled by one pipe in 6 hours and by another in 4 hours. How long do both "
    "together take?",
    "What is the probability of drawing two aces in a row from a deck without putting "
    "the first card back?",
    "A coffee shop sold 240 cups on Monday and 15% more on Tuesday. How many cups did it "
    "sell over both days?",
    "A company's revenue was $2 million last year and grew by 8%. What is it this year?",
    "An investor puts $10,000 into a fund earning 6% a year, compounded. What is it worth "
    "after 5 years?",
    "A hospital staffs 12 nurses a shift and three shifts a day. How many nurse-shifts is "
    "that in a 30-day month?",
    "A team of 4 designers and 3 developers costs $5,200 a day; 2 designers and 5 "
    "developers cost $5,600. What is the daily rate of each?",
)

CODE = (
    "How do I create a custom content type in Drupal?",
    "How can I log in to SAP from a VBScript?",
    "How do I train an image classifier in PyTorch on my own folder of pictures?",
    "What does this Java stack trace mean and how do I fix it? java.lang."
    "NullPointerException at com.example.App.run(App.java:42) at java.lang.Thread.run",
    "Write SystemVerilog constraints so that a random 16-bit value has exactly four bits "
    "set.",
    "Write a program that computes the league table of a football season from a list of "
    "match results.",
    "I'm designing a system that picks which landing page to show each visitor to get the "
    "most sign-ups. Outline the architecture and give sample code for the bandit.",
    "Give me an example of handling a socket read that is interrupted by a signal in C.",
    "How do I set environment variables for a container in docker compose?",
)

CHAT = (
    "Imagine you are an old lighthouse on a stormy coast. How do you feel now that the "
    "ships no longer come?",
    "Pretend you are my cat. What do you think of me leaving for a week?",
    "You are a dragon guarding a treasure and I am a knight at your door. Speak to me.",
    "Let's chat about your favourite video games. What do you like to play?",
    "You are a wise old wizard in my story. I enter your tower and ask for help. Stay "
    "in character.",
)
