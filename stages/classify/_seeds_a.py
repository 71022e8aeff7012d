"""Training prompts, part one: code, math, reasoning, creative writing, summarization.

Written by hand for this classifier, in our own words, to show each label's range
(short and long, question and command, casual and formal). No prompt here was taken
or paraphrased from an evaluation set.
"""

from __future__ import annotations

CODE = (
    "Write a Python function that returns the n-th prime number.",
    "How do I reverse a string in JavaScript without using the built-in reverse?",
    "Why does my React component re-render every time the parent updates?",
    "Fix this bug:\n```python\nfor i in range(len(items)):\n    if items[i] = None:\n"
    "        del items[i]\n```",
    "Convert this bash loop to PowerShell: for f in *.log; do gzip \"$f\"; done",
    "Write a SQL query that finds the three customers with the highest total order value.",
    "My Docker container exits immediately after starting, how can I debug it?",
    "Implement a thread-safe LRU cache in Java with get and put in O(1).",
    "Explain what this regex matches: ^(?=.*\\d)(?=.*[a-z]).{8,}$",
    "Refactor this function so it is easier to test:\n\ndef load(path):\n"
    "    data = open(path).read()\n    return json.loads(data)['items']",
    "What is the difference between a process and a thread in operating systems programming?",
    "Write a Rust program that reads a CSV file and prints the average of the second column.",
    "How can I configure nginx as a reverse proxy for a Node.js app on port 3000?",
    "Give me a Kubernetes deployment manifest for a web app with three replicas.",
    "Create a REST API endpoint in Flask that accepts JSON and stores it in SQLite.",
    "getting TypeError: cannot read properties of undefined (reading 'map') in my Vue app, why?",
    "Write unit tests with pytest for a function that parses dates like 2024-03-01.",
    "How do I merge two dictionaries in Python 3 and keep the values of the second one?",
    "Show me how to use async/await with fetch to call an API and handle errors.",
    "Port this C code to Go:\n\nint sum(int *a, int n) {\n  int s = 0;\n"
    "  for (int i = 0; i < n; i++) s += a[i];\n  return s;\n}",
    "Write a shell script that backs up a directory every night and keeps seven copies.",
    "What does git rebase do and when should I use it instead of merge?",
    "Optimise this pandas code, it is very slow on ten million rows: df.apply(lambda r: "
    "r.a * r.b, axis=1)",
    "Build a simple to-do list app in HTML, CSS and vanilla JavaScript.",
    "How do I make a Unity character jump only when it is on the ground (C#)?",
    "Write a GitHub Actions workflow that runs the tests on every pull request.",
    "In TypeScript, how do I type a function that accepts either a string or an array "
    "of strings?",
    "Implement binary search on a sorted array and explain its time complexity.",
    "My PostgreSQL query is slow; how do I read the EXPLAIN ANALYZE output and add the "
    "right index?",
    "Write a Terraform config that creates an S3 bucket with versioning enabled.",
    "Train a small convolutional network on MNIST with PyTorch, full script please.",
    "How do I center a div horizontally and vertically with CSS flexbox?",
    "What is a segmentation fault and how do I find where it happens in my C++ program?",
    "Create a class hierarchy for shapes in Kotlin with an area method for each shape.",
    "Write a VBA macro that copies every row whose status column says Done to another "
    "sheet.",
    "How do I set up a virtual environment and install requirements on Windows?",
    "Explain the difference between let, const and var.",
    "Write a function in Haskell that flattens a list of lists.",
    "Can you review my code and suggest improvements?\n\nconst users = [];\n"
    "function addUser(u) { users.push(u); return users.length }\n",
    "Generate a regular expression that validates an email address.",
    "Write an Android activity in Kotlin that shows a list loaded from a REST API.",
    "How to handle CORS errors when my frontend calls my Express backend?",
    "Write a cron expression that runs a job at 2:30 am every Monday.",
    "Implement Dijkstra's shortest path algorithm in C++ using a priority queue.",
    "Use awk to print the second field of every line where the third field is above 100.",
    "Set up a Django model for blog posts with tags, and a serializer for it.",
    "what's the best way to read a large file line by line in node without loading "
    "it all into memory",
    "Write a Verilog module for a 4-bit counter with synchronous reset.",
)

MATH = (
    "Solve for x: 3x + 7 = 22.",
    "What is the derivative of x^3 * sin(x)?",
    "Compute the integral of 1/(1 + x^2) from 0 to 1.",
    "Prove that there are infinitely many prime numbers.",
    "A shirt costs $40 after a 20% discount. What was the original price?",
    "If I roll two fair dice, what is the probability that the sum is 8?",
    "Find the eigenvalues of the matrix [[2, 1], [1, 2]].",
    "A train leaves at 9:15 and travels 180 km at 72 km/h. When does it arrive?",
    "What is 17% of 2,450?",
    "Simplify (x^2 - 9) / (x - 3).",
    "How many ways can 5 people be seated around a round table?",
    "Show that the sum of the first n odd numbers is n^2.",
    "Calculate the compound interest on $5,000 at 4% per year for 6 years.",
    "The area of a circle is 50 square cm. What is its radius?",
    "Find the limit of (1 + 1/n)^n as n goes to infinity and explain why.",
    "Solve the system: 2x + y = 7 and x - y = 2.",
    "What is the standard deviation of the numbers 4, 8, 6, 5, 3?",
    "A box has 3 red and 5 blue balls. Two are drawn without replacement. What is the "
    "chance both are blue?",
    "Factor the polynomial x^3 - 6x^2 + 11x - 6.",
    "Is 391 a prime number? Show your working.",
    "Find the area of a triangle with sides 7, 8 and 9.",
    "Convert 0.375 to a fraction in lowest terms.",
    "Mary is three times as old as her son. In 12 years she will be twice as old. How old "
    "is the son now?",
    "Evaluate the sum of 1/2^k for k from 1 to infinity.",
    "What is the greatest common divisor of 84 and 126?",
    "Solve the differential equation dy/dx = 3y with y(0) = 2.",
    "Prove that sqrt(3) is irrational.",
    "If f(x) = 2x^2 - 3x + 1, find f(4) and the vertex of the parabola.",
    "Compute the determinant of a 3x3 matrix with rows (1,2,3), (0,1,4), (5,6,0).",
    "A recipe needs 2.5 cups of flour for 10 cookies. How much flour for 36 cookies?",
    "What is the expected value of a game where you win $10 with probability 0.3 and lose "
    "$4 otherwise?",
    "Find all real solutions of x^4 - 5x^2 + 4 = 0.",
    "Calculate the volume of a cone with radius 3 cm and height 10 cm.",
    "Show that every group of prime order is cyclic.",
    "A worker fills 12 boxes an hour and another fills 18. Together, how long to fill "
    "150 boxes?",
    "What is log base 2 of 1024?",
    "Find the Taylor series of e^x around 0 up to the x^4 term.",
    "Using Bayes' theorem: a test is 95% accurate and 1% of people have the disease. "
    "If I test positive, what is the chance I have it?",
    "Convert 72 degrees Fahrenheit to Celsius.",
    "Given a geometric sequence 3, 6, 12, ... what is the 10th term?",
    "How many integers between 1 and 1000 are divisible by 3 or 5?",
    "Find the slope and intercept of the line through (1, 2) and (4, 11).",
    "Compute 2^100 mod 7.",
    "Is the series sum 1/n convergent? Justify.",
    "A rectangle's perimeter is 30 and its area is 56. Find its sides.",
    "What is 15 * 12?",
    "whats 2+2",
    "Calculate 345 divided by 15.",
    "How much is three quarters of 120?",
    "What is 7 squared plus 3 cubed?",
)

REASONING = (
    "All cats are mammals and some mammals swim. Does it follow that some cats swim?",
    "A man looks at a photo and says: brothers and sisters I have none, but that man's "
    "father is my father's son. Who is in the photo?",
    "Three boxes are labelled apples, oranges and mixed, and every label is wrong. You may "
    "take one fruit from one box. How do you fix the labels?",
    "If it takes 5 machines 5 minutes to make 5 widgets, how long do 100 machines take "
    "to make 100 widgets?",
    "Alice is taller than Bob, Bob is taller than Carol. Is Carol taller than Alice?",
    "What comes next in the sequence: J, F, M, A, M, J, J, ...?",
    "A farmer must cross a river with a wolf, a goat and a cabbage, and the boat holds only "
    "one of them. How does he do it?",
    "Which is heavier, a kilogram of feathers or a kilogram of steel? Think it through.",
    "Find the flaw in this argument: every time I wash my car it rains, so washing my car "
    "causes rain.",
    "Five friends sit in a row. Dan is not at either end, Eve sits right of Dan, and Ann "
    "is at the left end. Who can sit in the middle?",
    "I have two coins that add up to 30 cents and one of them is not a nickel. What are "
    "they?",
    "Is the following statement a valid syllogism: no fish are birds, some birds fly, "
    "therefore some flying things are not fish?",
    "A room has three switches outside and one bulb inside. You can enter once. How do "
    "you find which switch controls the bulb?",
    "If yesterday was two days after Monday, what day will it be three days from "
    "tomorrow?",
    "Tom is looking at Sara and Sara is looking at Lee. Tom is married, Lee is not. Is a "
    "married person looking at an unmarried one?",
    "Riddle: what has keys but can't open locks?",
    "Explain step by step which of these conclusions must be true given the premises.",
    "A bat and a ball cost 1.10 together and the bat costs 1.00 more than the ball. What "
    "does the ball cost? Explain the trap.",
    "Two people are both telling the truth or both lying. One says 'at least one of us "
    "is a liar'. What are they?",
    "Sort these events in the order they must have happened, based on the clues given.",
    "You're in a race and you pass the person in last place. Is that possible? Explain.",
    "Which number doesn't belong: 2, 3, 5, 9, 11, 13?",
    "If some engineers are artists and all artists are dreamers, what can we conclude "
    "about engineers?",
    "A detective finds the window open, the dog silent and the safe empty. What can he "
    "infer about the thief?",
    "Lateral thinking puzzle: a man pushes his car to a hotel and tells the owner he's "
    "bankrupt. Why?",
    "I am an odd number; take away a letter and I become even. What number am I?",
    "Four people must cross a bridge at night with one torch; they take 1, 2, 5 and 10 "
    "minutes. What is the fastest plan?",
    "Given that every knight tells the truth and every knave lies, work out who is who "
    "from their statements.",
    "Mark's mother has four children: North, South, East. What is the name of the fourth?",
    "Analyze this decision: should a small shop cut prices or improve service when a big "
    "chain opens nearby? Weigh both sides logically.",
    "Is it possible for a statement to be both true and unprovable? Reason about it.",
    "There are 3 doors, a prize behind one. You pick one, the host opens an empty one. "
    "Should you switch and why?",
    "Premise one: if it rains, the match is cancelled. The match was not cancelled. What "
    "follows?",
    "What weighs more at the bottom of a lake, a stone or the same stone on the shore? "
    "Reason it out.",
    "John is older than Paul but younger than Mike; Paul is older than Ned. Rank them.",
    "Solve this cipher puzzle: each letter is shifted by the same amount and 'KHOOR' means "
    "hello.",
    "Which weighs less, a full or an empty bottle of air? Think carefully about "
    "assumptions.",
    "If all bloops are razzies and all razzies are lazzies, are all bloops lazzies?",
    "A clock shows 3:15. What is the angle between the hands, and why isn't it zero?",
    "Spot the logical fallacy in: 'He is rich, so his opinion about economics must be "
    "right.'",
)

CREATIVE_WRITING = (
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "Compose a haiku about the first snow of winter.",
    "Write a poem about the ocean in the style of a sea shanty.",
    "Draft a wedding toast for my sister, funny but heartfelt, about two minutes long.",
    "Write song lyrics about driving home late at night after a breakup.",
    "Write a limerick about a cat who loves lasagne.",
    "Create a bedtime story for a five-year-old about a brave little turtle.",
    "Write the opening paragraph of a science fiction novel set on a frozen moon.",
    "Write a persuasive essay arguing that cities should ban cars from their centres.",
    "Draft a cover letter for a junior graphic designer position.",
    "Write a product description for a handmade leather wallet.",
    "Write a blog post about five lessons I learned from running my first marathon.",
    "Compose a polite email to a landlord asking to fix the heating.",
    "Write a sonnet about time and memory.",
    "Create a dialogue between a dragon and a knight who would rather not fight.",
    "Write a catchy slogan and a short radio ad for a new coffee shop.",
    "Write a eulogy for my grandfather, who loved fishing and bad jokes.",
    "Rewrite this paragraph in the voice of a 1920s detective: The room was empty and "
    "the window was open.",
    "Write a speech for a high school graduation about failure and curiosity.",
    "Invent a myth explaining why the moon changes shape.",
    "Write a screenplay scene where two strangers get stuck in an elevator.",
    "Write a thank-you note to a teacher who changed my life.",
    "Compose a rap verse about climate change.",
    "Write a fairy tale with a twist ending where the wolf is the hero.",
    "Write a LinkedIn post announcing that I am starting a new job.",
    "Write a horror flash fiction piece in exactly 100 words.",
    "Write an ode to my morning cup of tea.",
    "Draft a press release for the launch of our new budgeting app.",
    "Write a love letter from a robot to the sun.",
    "Create a character backstory for an elf ranger in a fantasy campaign.",
    "Write a travel journal entry describing a rainy afternoon in Lisbon.",
    "Write a funny birthday card message for a coworker turning 40.",
    "Write a motivational newsletter intro for our volunteers.",
    "Write a free verse poem about moving to a new country.",
    "Write a short mystery story in which the clue is a missing umbrella.",
    "Rewrite this email to sound more professional: hey, need the report asap, thx.",
    "Write a children's picture book text about sharing toys, ten pages.",
    "Write an engaging Instagram caption for a photo of a mountain sunrise.",
    "Draft a resignation letter that stays on good terms with my manager.",
    "Write a monologue for a villain who thinks they are the hero.",
    "Write a story for my D&D group's opening session in a haunted port town.",
    "Compose a short poem for Mother's Day.",
    "Write a fable about a fox and a crow with a modern moral.",
    "Write an essay on what home means, in a personal reflective tone.",
)

SUMMARIZATION = (
    "Summarize the following article in three sentences:\n\nCity officials announced on "
    "Monday that the central library will close for renovation next spring. The work, "
    "expected to last eighteen months, will add a children's wing and fix the leaking "
    "roof. Temporary branches will open in two schools.",
    "Give me a TL;DR of this thread.",
    "Can you condense this report into five bullet points for my boss?",
    "Summarise the plot of Romeo and Juliet in one paragraph.",
    "What are the key points of the text below?\n\nRemote work has grown quickly. "
    "Companies save on office space, while workers gain time but sometimes feel "
    "isolated. Managers report mixed effects on productivity.",
    "Boil this meeting transcript down to the decisions made and who owns each action.",
    "Write an abstract for this paper based on the introduction and results I pasted.",
    "Give a brief overview of this chapter so I can review it before the exam.",
    "Please shorten this email to half its length while keeping the main message.",
    "Summarize the main arguments of both sides in this debate transcript.",
    "In two sentences, what is this news story about?",
    "Create an executive summary of the quarterly results below.",
    "Recap the last episode: the crew lands on the planet, loses contact with the ship, "
    "and discovers the colony was abandoned years ago.",
    "Sum up this customer review in one line: The blender is powerful and easy to clean "
    "but very loud, and the lid cracked after a month.",
    "Summarize the following lecture notes into a study sheet.",
    "What's the gist of this long Reddit post? I don't have time to read all of it.",
    "Provide a concise summary of the terms and conditions I pasted, focusing on fees.",
    "Give me the highlights of this podcast transcript in bullet form.",
    "Summarize this research paper for a non-expert audience.",
    "Condense these release notes into a short changelog entry.",
    "Make a one-paragraph synopsis of the book Pride and Prejudice.",
    "Summarize: The committee met on Tuesday. It approved the budget, delayed the vote on "
    "parking fees and asked staff to report on bike lanes by June.",
    "Reduce this 2000-word essay to a 200-word summary.",
    "Please summarise the key findings of the study below in plain English.",
    "Give me a quick rundown of what happened in this chat log.",
    "Briefly summarize the history of the Roman Empire.",
    "Outline the main points of the following speech.",
    "Summarize the pros and cons listed in this product comparison.",
    "Turn this long document into a short summary with headings.",
    "tl;dr please: the update changes how passwords are stored, forces a reset for all "
    "users, and removes the old login page.",
    "Summarize the conversation above in a few sentences.",
    "Write a short summary of each section of this contract.",
    "What are the three most important takeaways from this article?",
    "Summarize this code review discussion and list the open questions.",
    "Condense the following into a tweet-length summary.",
    "Summarize the story of the movie Inception without spoilers.",
    "Can you give me the short version of this policy document?",
    "Digest this email chain and tell me what I need to reply to.",
    "Make bullet-point notes summarizing this YouTube transcript.",
    "Summarize this patient's history from the notes below for a handover.",
)
