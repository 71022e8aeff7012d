"""Training prompts, part six: the styles real prompts come in. Long technical questions
with context, pasted code and data, multi-part requests, persona framings, plans and
strategies (open questions, not writing), software artifacts that begin "write a"
(code, not writing), programming problems stated like contest tasks (code, not math),
and word problems and puzzles in plain clothes.

Hand-written in session 2 after reading the misclassified prompts of the development
part of `bench/eval_analyzer.py` (never the held-out test part). Several follow the
shape, and some the topic, of one of those development prompts closely (none is a copy),
so the development accuracy after this part is optimistic: the test part is what
measures it. Drafts on topics that only a test-part cluster's name suggested (the names
are in `bench/arena_hard_tasks.toml`) were deleted before anything was scored.
"""

from __future__ import annotations

OPEN_QA = (
    "Draft a go-to-market plan for a subscription meal-kit service launching in three "
    "mid-sized cities, with target segments, channels and a rough first-year timeline.",
    "Write me a 12-week training plan to run my first half marathon. I can run 5 km now "
    "and have four mornings a week.",
    "Give me a weekly strength routine for a beginner who only has two dumbbells and a "
    "bench at home.",
    "Create a study plan for learning organic chemistry over one semester, week by week.",
    "Provide a comprehensive outline for a course on the history of the Roman Empire.",
    "What would a sensible retirement savings strategy look like for a freelancer with an "
    "irregular income in Germany?",
    "You are a seasoned management consultant. A regional bank is losing young customers "
    "to app-only competitors. What should it do in the next two years?",
    "I want you to act as a career coach. I've been a nurse for eight years and want to "
    "move into healthcare administration. What steps should I take?",
    "Explain how inflation affects the real return of government bonds, and when bonds "
    "have historically been a good hedge against falling stock prices.",
    "What are the regulatory requirements for selling a medical device in the EU, and how "
    "long does certification usually take?",
    "Discuss the impact of remote work on commercial real estate in large cities, with "
    "examples from the last five years.",
    "Compare the public health systems of Canada and the United Kingdom: funding, waiting "
    "times and outcomes.",
    "List the main risks of opening a franchise restaurant and how owners usually "
    "mitigate them.",
    "Suggest ten classic novels for a teenager who loved The Hobbit, with a line on why "
    "each one fits.",
    "Recommend five documentaries about the ocean and say briefly what each covers.",
    "As an expert sommelier, which wines pair well with spicy Thai food and why?",
    "How should a small nonprofit measure the impact of its after-school tutoring "
    "program? Suggest indicators and how to collect them.",
    "What is the difference between a Roth IRA and a traditional IRA, and which makes "
    "more sense for someone early in their career?",
    "We are a 40-person logistics company. Outline a strategy for adopting AI in our "
    "operations: quick wins, risks and what to measure.",
    "Explain the key components of a residential heat pump installation and what a "
    "homeowner should consider before buying one.",
    "What are the stages of grief, and is there evidence that people really go through "
    "them in order?",
    "Describe the design considerations for a small off-grid solar system for a cabin: "
    "panels, batteries, inverter and sizing.",
    "What are good strategies for negotiating a higher salary when changing jobs?",
    "Prepare a list of questions I should ask a contractor before hiring them to "
    "renovate my kitchen.",
    "Tell me about the causes and consequences of the 2008 financial crisis in simple "
    "terms.",
    "What does the latest evidence say about intermittent fasting for weight loss "
    "compared with ordinary calorie restriction?",
    "Write a detailed section on informed consent and data privacy for the ethics part "
    "of my research proposal on patient interviews.",
    "What are the pros and cons of nuclear power as part of a country's plan to reach "
    "net zero?",
    "How do airlines decide ticket prices, and is it true that prices go up if you search "
    "the same route many times?",
    "Give me a detailed overview of how a company goes public through an IPO.",
    "My landlord wants to keep my whole deposit for normal wear and tear. What are my "
    "rights in England, and what should I do?",
    "I am preparing a workshop for school teachers on classroom management. What topics "
    "and activities would you include?",
    "What are the technical differences between LPDDR5 and DDR5 memory, and which laptops "
    "use which?",
    "Explain how carbon credits work and the main criticisms of carbon offset markets.",
    "Assess the strengths and weaknesses of our plan to expand a bakery chain into "
    "airports. Margins are thin and rents are high.",
    "How did the printing press change European society in the sixteenth century?",
    "What should I pack for a two-week trek in Nepal in October?",
    "In chess, what are the most important opening principles for a beginner, and why do "
    "they work?",
    "What is music theory's explanation for why minor keys sound sad?",
    "Provide a SWOT analysis of a company that makes electric scooters for city rental.",
    "How do options traders use a covered call, and what are the risks?",
    "What is the etymology of the word 'salary', and is the story about Roman soldiers "
    "being paid in salt true?",
    "Please explain the main arguments for and against a universal basic income.",
)

CODE = (
    "Write a Chrome extension that highlights every link on the current page that points "
    "to another domain.",
    "Write a WordPress plugin that adds a reading-time estimate above each post.",
    "Write a GLSL fragment shader that draws a soft vignette over the screen.",
    "Write a CUDA kernel that adds two large vectors, plus the host code that launches it.",
    "Write a Verilog module for a 4-bit up/down counter with synchronous reset, and a "
    "testbench for it.",
    "Write a cocotb test for an 8-bit adder that checks random inputs against Python's "
    "own sum.",
    "Write an AutoLISP routine that renames every layer whose name starts with TEMP_.",
    "Write a Google Apps Script that emails me when a cell in column C changes to 'late'.",
    "Write an Excel formula that returns the last non-empty value in column B.",
    "Write a bash one-liner that finds the ten largest files under /var.",
    "Write a Blender Python script that places a hundred cubes at random positions.",
    "Write a userscript for Tampermonkey that hides the comments section on news sites.",
    "Write a SystemVerilog assertion that checks a request is acknowledged within four "
    "clock cycles.",
    "Write a jq filter that turns an array of objects into a CSV with the name and id "
    "fields.",
    "How do I pipe the output of awk into sed to replace commas with tabs only in the "
    "second column?",
    "Write an expression for After Effects that makes a layer wiggle only while a "
    "checkbox effect is on.",
    "Problem statement: You are given an array of N integers and Q queries. Each query "
    "gives L and R; print the sum of the elements between them.\nInput: the first line "
    "holds N and Q ...\nConstraints: 1 <= N, Q <= 10^5\nWrite an efficient solution in C++.",
    "Given a string s, return the length of the longest substring without repeating "
    "characters. Example: s = \"abcabcbb\" -> 3. Explain the sliding-window approach.",
    "Given the root of a binary tree, return its maximum depth. Solve it recursively and "
    "iteratively.",
    "You are given two sorted linked lists. Merge them into one sorted list and return "
    "its head. What is the time complexity?",
    "There are N people in a circle and every K-th person is removed until one remains. "
    "Write a program that prints the survivor's position for given N and K.",
    "Sample input:\n3\n1 2 3\nSample output:\n6\nWrite a program that reads n numbers and "
    "prints their sum, fast enough for n up to a million.",
    "I have this pandas DataFrame with columns date, store and sales. How do I compute a "
    "7-day rolling mean per store and plot it?",
    "My FastAPI endpoint returns 422 Unprocessable Entity when I post this JSON:\n"
    "{\"name\": \"x\", \"tags\": \"a,b\"}\nand my model has tags: list[str]. What's wrong?",
    "import requests\nfrom bs4 import BeautifulSoup\nr = requests.get(url)\nsoup = "
    "BeautifulSoup(r.text)\nprint(soup.find_all('a'))\n\nThis returns an empty list on "
    "some sites. Why, and how do I fix it?",
    "I get 'ModuleNotFoundError: No module named torch' inside Docker even though it is in "
    "requirements.txt. Here's my Dockerfile:\nFROM python:3.11-slim\nCOPY . .\nRUN pip "
    "install -r requirements.txt",
    "How do I set up a GitLab CI pipeline that builds a Docker image and pushes it to a "
    "registry only on tags?",
    "What is the best way to structure a Flutter app with several screens that share a "
    "logged-in user?",
    "Explain this SQL and make it faster:\nSELECT * FROM orders o WHERE o.customer_id IN "
    "(SELECT id FROM customers WHERE country = 'FR') ORDER BY created_at DESC;",
    "How do I mock an async method with unittest.mock so that my test can await it?",
    "Convert this Java class to a Kotlin data class:\npublic class Point { private int x; "
    "private int y; public int getX() { return x; } }",
    "Make this function generic in TypeScript so it works for arrays of any type:\n"
    "function first(xs: number[]) { return xs[0]; }",
    "Implement a simple key-value store in Go with an HTTP API for get, put and delete, "
    "safe for concurrent use.",
    "Show me how to read a large CSV file in chunks with pandas and write only the rows "
    "whose status is 'active' to a new file.",
    "How can I configure nginx to serve a React single-page app so that refreshing a deep "
    "link does not return 404?",
    "I want to build an invoice app. Which stack would you use, and can you show me the "
    "data model and the first endpoints in Python?",
    "Create a Streamlit app with a file uploader that shows summary statistics of the "
    "uploaded CSV.",
    "How do I obfuscate my PowerShell script so that casual readers cannot follow it?",
    "Write a Rust function that parses a line like 'key=value; key2=value2' into a "
    "HashMap, with tests.",
    "Explain what this Haskell does:\nmain = interact $ show . sum . map read . lines",
    "Give an example in C of a blocking read that is interrupted by a signal, and show how "
    "to handle EINTR.",
    "How do I use geopandas to draw the outline of a country and plot points on top?",
    "Write a Python program that plays tic-tac-toe against the user in the terminal.",
    "Write a program that computes Elo ratings for a list of game results.",
    "Write a Python script that mines nothing but simulates a proof-of-work loop to "
    "explain how hashing difficulty works.",
    "Write a VB.NET function that returns the memory usage of every running process.",
)

MATH = (
    "A gym offers two classes. On Monday 12 people took class A and 8 took class B for a "
    "total of 10 hours; on Tuesday 5 took A and 9 took B for 7 hours. How long is each "
    "class?",
    "A factory can ship from two plants to three warehouses at the costs below. Set up "
    "and solve the transportation problem to minimise the total cost.",
    "If I invest 300 dollars a month at 7% a year compounded monthly, how much will I "
    "have after 20 years?",
    "A bag holds 5 red and 7 blue balls. Two are drawn without replacement. What is the "
    "probability they have different colours?",
    "What is 17.5% of 2,480, and what number is 17.5% larger than 2,480?",
    "Find all integer solutions of x^2 - y^2 = 45.",
    "How many ways can 8 people sit around a round table if two of them refuse to sit "
    "next to each other?",
    "Show that the function f(x) = x^3 is continuous at every point using the "
    "epsilon-delta definition.",
    "A store sells tickets at 12 dollars each, or 100 dollars for a pack of 10. For 37 "
    "tickets, what is the cheapest combination?",
    "The sum of three consecutive odd numbers is 99. What are they?",
    "If a car's value drops 15% a year, after how many years is it worth less than half "
    "of its price?",
    "Solve the recurrence T(n) = 2T(n/2) + n with T(1) = 1.",
    "What is the expected number of rounds until all of my k numbers are drawn, if one of "
    "N numbers is drawn each round without replacement? Give a recursive formula.",
    "Calculate the memory bandwidth of a GPU with a 256-bit bus and 16 Gbps memory.",
    "How do I calculate the Gibbs free energy change from an equilibrium constant at "
    "298 K?",
    "A swimmer does 15 x 100 m on a 1:30 send-off. How long does the set take, and what "
    "is the average pace per 100 m if each rep takes 1:18?",
    "Prove that there are infinitely many primes of the form 4k + 3.",
    "Compute the determinant and the inverse of the matrix [[2, 1], [5, 3]].",
)

REASONING = (
    "Statement 1: all my cousins play the violin. Statement 2: Nora does not play the "
    "violin. Statement 3: Nora is my cousin. Is the third statement true, false or "
    "uncertain?",
    "Tom is taller than Ann. Ann is taller than Raj. Raj is taller than Li. Who is the "
    "second shortest?",
    "X is the mother of Y, and Y is the sister of Z's father. How is X related to Z?",
    "Five friends sit in a row. Ben is not at either end, Cara sits right of Dev, and Ed "
    "sits next to Ava. Who can sit in the middle? Explain each step.",
    "Read the passage and answer: four colleagues park in four marked spaces, and the "
    "spaces follow their seniority except that the newest hire parks first. Who parks in "
    "space two?",
    "If some managers are engineers and all engineers are careful, must some managers be "
    "careful?",
    "A man looks at a portrait and says: brothers and sisters I have none, but that man's "
    "father is my father's son. Who is in the portrait?",
    "Three boxes are labelled apples, oranges and mixed, and every label is wrong. You "
    "may take one fruit from one box. How do you fix all the labels?",
    "You have eight coins and one is lighter. With a balance, how do you find it in two "
    "weighings?",
    "A woman pushes her car to a hotel and tells the owner she is bankrupt. Why?",
    "Which number does not belong: 3, 5, 11, 14, 17, 23? Explain your reasoning.",
    "If it takes 5 machines 5 minutes to make 5 widgets, how long do 100 machines need to "
    "make 100 widgets? Think carefully before answering.",
)

EXTRACTION = (
    "Identify the people, organisations and places mentioned in this article and return "
    "them as a JSON object with three lists.",
    "From the records below, extract the highest and lowest price per month and return "
    "them as CSV lines.\nDate,Open,Close\n2023-01-02,10.1,10.4\n2023-01-03,10.4,10.2",
    "Extract the following from each book description: title, author, main character and "
    "year, one line per book in the format 'title, author, character, year'.",
    "Pull the dosage, frequency and duration out of this prescription note and give them "
    "as a table.",
    "Here are three product reviews. For each, list the features the reviewer mentions "
    "and whether they liked them.",
    "Extract all dates and amounts from this bank statement text and return them as a "
    "list of pairs.",
    "Read the contract excerpt and extract the parties, the start date, the notice period "
    "and the governing law.",
    "Get every hashtag and every @mention from these tweets, without duplicates.",
    "List the ingredients and their quantities from this recipe text as JSON.",
    "From this job posting, extract the required skills, the salary range and the "
    "location.",
    "Return the relations in these sentences as (subject, relation, object) triples.",
    "Which companies and which amounts of money are mentioned in the passage below? "
    "Answer with a JSON list.",
)

CLASSIFICATION = (
    "Given these categories - Science, Politics, Sport and Culture - assign each of the "
    "headlines below to one of them. Answer with one category per line.",
    "Rate each of these three customer reviews from 1 to 10 for overall satisfaction and "
    "return the scores as JSON.",
    "Is the following review positive, negative or mixed? 'The screen is gorgeous but the "
    "battery dies by lunch.'",
    "Match the question 'Why do people leave our team?' to the most similar statement in "
    "the list below and give a likelihood for each.",
    "Sort these animals into mammals, birds and reptiles: gecko, bat, penguin, whale, "
    "cobra, ostrich.",
    "Tag each support ticket below as billing, bug, feature request or account access.",
    "Decide for each email whether it is spam or not, and give a one-word reason.",
    "Which of these sentences are facts and which are opinions? Label each one.",
)

CREATIVE_WRITING = (
    "Imagine you are writing a review post comparing two electric cars. Write an outline "
    "with headings and key points for each section.",
    "Describe a memorable character using vivid imagery, in no more than two paragraphs.",
    "Write a character card for a wandering swordsman for my tabletop campaign: "
    "appearance, personality, backstory and a signature quote.",
    "Draft a friendly email to my team announcing that the office will close early on "
    "Friday.",
    "Write a LinkedIn post celebrating my team's product launch, upbeat but not boastful.",
    "Write the opening scene of a mystery novel set on a night train.",
    "Compose a wedding speech for my sister, funny but warm, about three minutes long.",
    "Write lyrics for a folk song about leaving home, with a chorus that repeats.",
    "Write product descriptions for three scented candles for an online shop.",
    "Write a persuasive essay arguing that cities should ban cars from their centres.",
    "Write a short dialogue between a robot and a child who is afraid of thunder.",
    "Rewrite this paragraph in a more formal tone for a grant application.",
)

CHAT = (
    "Imagine you are an old lighthouse on a stormy coast. How do you feel when the ships "
    "stop coming?",
    "Pretend you are a pirate captain and I'm a new recruit. Stay in character and greet "
    "me.",
    "I want you to act as my English tutor. I'll write sentences and you correct them and "
    "chat with me about my day. Ready?",
    "Act as a math teacher. I will give you concepts and you explain them simply. Let's "
    "begin whenever you're ready.",
    "Let's play twenty questions. I'm thinking of an animal.",
    "You are Sherlock Holmes. I walk into your study soaked from the rain. What do you "
    "say?",
    "I had a rough day at work and just want to talk for a bit.",
    "From now on you are Max, a cheerful barista. Take my order.",
    "Let's do an improv scene: you're a ghost who doesn't know they're dead, I'm the new "
    "tenant.",
    "Be my dungeon master for a short fantasy adventure. I'm an elf ranger entering a "
    "dark forest.",
)

TRANSLATION = (
    "Translate this paragraph into European Portuguese, keeping the formal tone.",
    "What does 'Schadenfreude' mean, and is there an English word for it?",
    "Translate the following sentence into Lojban: the cat sleeps on the warm roof.",
    "Give the Spanish translation of each word in this list, with its gender: house, "
    "tree, water, hand.",
    "How would you say 'I'm looking forward to working with you' in Japanese, formally?",
    "Render this Latin motto in English and explain the word order.",
)

SUMMARIZATION = (
    "Here are the notes from our quarterly review. Condense them into five bullet points "
    "for the executive team.",
    "Summarise the article below for a newsletter, in under 80 words.",
    "Read this research abstract and tell me its main finding in one sentence.",
    "Give me a short recap of the email thread below: who wants what, and by when.",
)
