"""Training prompts, part seven: more of each label in the shapes real users write,
on topics of our own choosing: instructions with a supplied text and an output format
(extraction, classification, summarization), role-play set-ups (chat), persona framings
around a real question (open questions), spreadsheet and tool how-tos and bare pasted
code or logs (code), narrative word problems (math), and puzzles (reasoning).

Hand-written in session 2 after reading the misclassified prompts of the development
part of `bench/eval_analyzer.py` (never the held-out test part). Several follow the
shape, and some the topic, of one of those development prompts closely (none is a copy),
so the development accuracy after this part is optimistic: the test part is what
measures it. Drafts on topics that only a test-part cluster's name suggested (the names
are in `bench/arena_hard_tasks.toml`) were deleted before anything was scored.
"""

from __future__ import annotations

EXTRACTION = (
    "Read the paragraphs below and list every city and the country it is in. Output as "
    "JSON with keys city and country.\n\nLast spring we flew from Lisbon to Oslo, then "
    "took the train on to Bergen.",
    "From the following meeting notes, extract each action item with its owner and due "
    "date, formatted as a markdown table.",
    "Identify all the medications and their doses in the discharge summary below. Return "
    "a JSON array of objects.",
    "Extract the names of the scientists and the year of each discovery mentioned in this "
    "passage. One per line: name, year.",
    "Here is a block of server log lines. Pull out every distinct IP address together "
    "with how many times it appears.",
    "Find the sentences in the text below that mention a price, and give the product and "
    "the price for each.",
    "Given the email below, extract the sender's company, the order number and the "
    "requested delivery date as key: value lines.",
    "List the characters who appear in this chapter summary and the relationship of each "
    "to the narrator.",
    "Please parse this address into street, house number, postal code and city: "
    "'Kastanienallee 12, 10435 Berlin'.",
    "From the table of quarterly results below, extract the quarter with the highest "
    "revenue and the quarter with the lowest margin.",
    "Identify the countries and their currencies mentioned in these sentences. Return "
    "YAML.",
    "What are the start and end times of each talk in this conference schedule? Give "
    "them as a list.",
    "Pick out every question the customer asks in this chat transcript, word for word.",
    "Extract the key terms and their definitions from this glossary paragraph into a "
    "two-column table.",
    "Scan the text below and return all URLs and email addresses it contains.",
)

CLASSIFICATION = (
    "For each product review below, say whether the customer would likely buy again: "
    "yes, no or unsure.",
    "Label the tone of each message as friendly, neutral or hostile.",
    "Here are twelve news headlines. Group them under economy, health, technology and "
    "other.",
    "Which of these job titles are engineering roles and which are sales roles?",
    "Rate the urgency of each support ticket below from 1 (low) to 5 (critical).",
    "Classify each sentence as a question, a command or a statement.",
    "Is this message a complaint, a compliment or a question? 'Why does my order still "
    "say pending after a week?'",
    "Assign each of these books to a genre: Dune, Pride and Prejudice, The Shining, "
    "Gone Girl.",
    "Determine the language of each of these five short texts.",
    "Score each essay answer below against the rubric as excellent, adequate or weak.",
)

SUMMARIZATION = (
    "Summarize the following support conversation for the next agent in three bullet "
    "points.",
    "Can you shorten this cover letter to half its length without losing the main "
    "points?",
    "What are the main arguments of the op-ed pasted below? Keep it under 100 words.",
    "Turn this long product changelog into a short paragraph for customers.",
    "Give me the gist of this podcast transcript: what were the three main topics?",
    "Write a one-paragraph abstract for the paper draft below.",
    "Summarise each section of this policy document in one line.",
    "TL;DR of the thread below, please.",
)

TRANSLATION = (
    "Give me an example sentence in Old Norse with a word-by-word gloss and an English "
    "translation.",
    "How is the subjunctive used in Spanish after 'ojalá'? Translate three example "
    "sentences.",
    "Translate this error message for our German users: 'Your session has expired. "
    "Please sign in again.'",
    "Write dictionary entries for these Italian words: for each, the pronunciation, the "
    "part of speech, an English translation and one example sentence.",
    "What's the French for 'to take for granted', and how would you use it in a "
    "sentence?",
    "Please translate the lyrics below from Korean to English, keeping the line breaks.",
    "Is 'Je suis plein' the right way to say I'm full after a meal in French?",
    "Convert this British English text into American English spelling and vocabulary.",
)

CHAT = (
    "I want you to act as a travel guide. I will tell you where I am and you will suggest "
    "places to visit nearby. My first request is coming next.",
    "I want you to act as a stand-up comedian. I'll give you topics and you riff on them. "
    "Start with something about airports.",
    "Imagine yourself as a cat watching its owner work from home all day. What goes "
    "through your mind?",
    "You are a medieval innkeeper and I'm a tired traveller asking for a room. Respond in "
    "character.",
    "Let's pretend we're astronauts on the first crewed trip to Mars. You start.",
    "Act as my supportive friend. I'm nervous about my exam tomorrow.",
    "Please play a game of word association with me. I'll start: ocean.",
    "You're a grumpy old wizard who answers every question reluctantly. Introduce "
    "yourself.",
    "Roleplay as Napoleon giving an interview about his exile. I'll be the reporter.",
    "Let's have a casual conversation about our favourite movies. Mine is Alien.",
    "I want you to act as a job interviewer. I will be the candidate and you will ask me "
    "the questions one at a time. Don't write the whole conversation at once.",
    "Pretend to be my grandmother telling me a bedtime tale, like she used to.",
    "How's your day been? Mine was long.",
    "Speak to me as Sherlock Holmes would, and guess what I did this morning.",
    "Let's play a text adventure: describe where I am and wait for my move.",
)

CREATIVE_WRITING = (
    "Plan a blog post on choosing a first telescope: give the title, the section headings "
    "and two key points under each.",
    "Write an article for our company newsletter welcoming five new hires, mentioning "
    "their teams.",
    "Compose a short poem where every line starts with the next letter of the word "
    "SPRING.",
    "Write a product launch announcement for a reusable water bottle, in a playful "
    "voice, under 150 words.",
    "Write a thank-you note to a teacher who helped my son with reading.",
    "Write a fantasy villain's monologue before the final battle.",
    "Create a riddle-like poem about the moon for a children's book.",
    "Write an engaging Instagram caption for a photo of a mountain sunrise.",
    "Draft a polite message declining a job offer while keeping the door open.",
    "Write a movie pitch for a heist thriller set in a museum of clocks.",
    "Write a two-paragraph description of a bustling night market for a travel "
    "brochure.",
    "Write a funny limerick about a programmer who never sleeps.",
    "Rewrite the following paragraph so that it sounds more confident and enthusiastic.",
    "Write a eulogy for a beloved community librarian.",
    "Write the backstory of a dwarf blacksmith for a role-playing campaign.",
)

OPEN_QA = (
    "Act as a certified financial planner. Is it better to pay off a 4% mortgage early or "
    "invest the extra money in index funds?",
    "You are an experienced HR director. How should we structure a fair promotion "
    "process for a 200-person company?",
    "As a geologist, can you explain why some beaches have black sand?",
    "What were the economic consequences of the Black Death in Europe?",
    "How do noise-cancelling headphones actually work?",
    "Explain the main differences between the major schools of Buddhism.",
    "Give me practical tips for keeping houseplants alive in a dark apartment.",
    "What should I consider when choosing between a 27-inch 4K monitor and a 32-inch "
    "1440p monitor for photo editing?",
    "How long should bread dough proof, and how do I know when it's ready?",
    "Outline a one-year learning path for someone who wants to become a UX designer.",
    "What is a good structure for a weekly one-on-one meeting with my direct reports?",
    "How do vaccines train the immune system, and why do some need boosters?",
    "Create a checklist for preparing a small business for its first tax audit.",
    "Give a detailed comparison of heat pumps and gas boilers: running costs, "
    "installation, lifespan and emissions.",
    "What happens to the body during a marathon, and why do runners hit the wall?",
    "Why did the Roman Republic turn into an empire?",
    "Which factors drive the price of coffee on the world market?",
    "What are some ethical concerns with facial recognition in public spaces?",
    "Propose a strategy for a local bookstore to compete with online retailers.",
    "Explain what a balance sheet shows and how it differs from an income statement.",
    "What are the steps to get a patent for a mechanical invention in the United States?",
    "Please advise: my startup has two co-founders who want to split equity unevenly. "
    "What are common ways to decide the split?",
    "How does a camera's aperture affect depth of field and exposure?",
    "List common mistakes first-time managers make and how to avoid them.",
    "What is the scientific consensus on the health effects of red meat?",
    "What are the best ways to prepare for a job interview at a consulting firm?",
    "What are the specifications that matter most when buying a NAS for home backups?",
    "How do central banks use interest rates to control inflation?",
    "Design a weekly schedule for a family of four that shares one car and has three "
    "different work and school locations.",
    "What should a first-time visitor to Japan know about etiquette?",
    "I manage a warehouse. How can we reduce picking errors without slowing down?",
    "How was the Great Wall of China built, and how long did it take?",
    "What is the difference between weather and climate, and why does it matter for "
    "debates about global warming?",
    "Can you describe the process of making cheese, from milk to aged wheel?",
)

CODE = (
    "How do I combine the values from several rows into one cell in Excel, separated by "
    "commas?",
    "In Google Sheets, how can I highlight a whole row when the date in column D is in "
    "the past?",
    "What's the Excel formula to count unique values in a range that also match a "
    "condition?",
    "Write SystemVerilog constraints so that a random 16-bit value has exactly three bits "
    "set.",
    "How do I get the last modified time of every file in a folder with PowerShell?",
    "Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n    "
    "user = users[0]\nIndexError: list index out of range",
    "2024-05-01 12:00:03 ERROR [main] o.h.engine.jdbc.spi.SqlExceptionHelper : "
    "Connection refused. What does this mean and how do I fix it?",
    "def area(r):\n    return 3.14 * r ** 2\n\nprint(area('5'))\n\nwhy does this crash?",
    "const total = items.reduce((a, b) => a + b.price);\nconsole.log(total);\n// prints "
    "[object Object]30 - what am I doing wrong?",
    "How can I make my Python loop that checks 10,000 URLs run faster?",
    "What's the difference between INNER JOIN and LEFT JOIN? Show an example with two "
    "small tables.",
    "How do I undo the last commit in git but keep the changes in my working directory?",
    "Can you help me write a macro in LibreOffice Calc that exports each sheet to its own "
    "CSV file?",
    "Write code to count how many times each word appears in a text file and print the "
    "top ten.",
    "Show me how to call the OpenAI API from Node.js and stream the answer to the "
    "browser.",
    "Set up ESLint and Prettier in a new Vite project so they don't conflict.",
    "What is the most efficient way to check if a number is a power of two in C?",
    "Design the database schema for a library system with books, members and loans, and "
    "write the CREATE TABLE statements.",
    "How do I profile a slow R function and find which line takes the time?",
    "I'm getting a CORS error when my React app calls my API on another port. How do I "
    "allow it in Express?",
    "Write a PyTorch training loop with early stopping and a learning-rate scheduler.",
    "How can I run a background job every five minutes in a Django app without Celery?",
    "Write a Swift function that debounces a search field so the API is called at most "
    "once every 300 ms.",
    "Explain how to use Python's asyncio.gather with a limit on how many tasks run at "
    "once.",
    "Create a simple REST client in C# that retries failed requests with exponential "
    "backoff.",
    "My Unity game stutters every few seconds. How do I find out whether it's garbage "
    "collection?",
    "Write an Arduino sketch that blinks an LED faster when a button is held down.",
    "Explain big-O notation with examples from sorting algorithms.",
    "How do I set environment variables for a systemd service?",
    "Write a regular expression that matches dates like 2024-12-31 but not 2024-13-01.",
    "Given an array of integers and a target, return the indices of two numbers that add "
    "up to the target. Write it in Java.",
    "Explain the output of this program:\n#include <stdio.h>\nint main() { int i = 5; "
    "printf(\"%d %d\", i++, ++i); }",
)

MATH = (
    "A bakery sells muffins at 3 dollars and cookies at 1.50. Yesterday it sold 120 items "
    "for 270 dollars. How many muffins did it sell?",
    "Anna is three times as old as her son. In 12 years she will be twice as old. How old "
    "are they now?",
    "A water tank is filled by two pipes in 6 hours and by the first pipe alone in 10. How "
    "long does the second pipe take alone?",
    "A shop raises a price by 20% and later lowers it by 20%. What is the net change?",
    "Explain the inverse transform method for sampling from an exponential distribution "
    "and derive the formula.",
    "Derive the expected number of coin flips needed to get two heads in a row.",
    "How do I compute the standard error of a difference between two means?",
    "Find the maximum area of a rectangle with a perimeter of 40 m.",
    "Evaluate the integral of x e^x from 0 to 1.",
    "A loan of 20,000 at 6% a year is repaid monthly over five years. What is the monthly "
    "payment?",
    "If 3 workers paint a fence in 8 hours, how long do 4 workers take at the same rate?",
    "What is the variance of the sum of two independent uniform random variables on "
    "[0, 1]?",
    "How many different 4-digit PIN codes have no repeated digit?",
    "A recipe for 4 people needs 300 g of flour. How much flour for 10 people, and how "
    "much for 7?",
)

REASONING = (
    "Amy, Bo and Cy each own one pet: a dog, a cat or a fish. Amy is allergic to fur and "
    "Bo's pet cannot swim. Cy doesn't own the dog. Who owns what?",
    "A says: B is lying. B says: C is lying. C says: A and B are both lying. Who is "
    "telling the truth?",
    "If all bloops are razzies and some razzies are lazzies, are some bloops definitely "
    "lazzies? Explain.",
    "What comes next in the sequence: J, F, M, A, M, J, J, ...?",
    "A farmer must take a wolf, a goat and a cabbage across a river in a boat that holds "
    "one item at a time. How?",
    "Two fathers and two sons go fishing and each catches one fish, but they bring home "
    "only three fish. How?",
    "I have two coins that add up to 30 cents, and one of them is not a nickel. What are "
    "they?",
    "Which is the odd one out: square, triangle, circle, cube? Justify your answer.",
    "In a race, you overtake the person in second place. What place are you in now?",
    "Three switches outside a room control three bulbs inside. You may enter the room "
    "once. How can you tell which switch controls which bulb?",
    "All the statements on this card are false. Is that statement true? Discuss the "
    "paradox.",
    "Given that every employee who works late gets a bonus and Priya did not get a "
    "bonus, what can we conclude about Priya?",
    "Sam is older than Lee but younger than Kim. Pat is older than Kim. Rank them from "
    "oldest to youngest.",
    "Four people cross a bridge at night with one torch; they take 1, 2, 5 and 10 "
    "minutes. What is the fastest way to get everyone across?",
)
