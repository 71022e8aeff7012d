"""Training prompts, part three: longer, messier prompts of the kind users really send
(context first, the ask at the end, pasted material, tools named but no code shown),
for code, math, reasoning, creative writing and summarization. Hand-written.
"""

from __future__ import annotations

CODE = (
    "I'm deploying a small app on a VPS and every time I restart the server the service "
    "doesn't come back up. It's managed by systemd. What should the unit file look like so "
    "it restarts on failure and starts at boot?",
    "We have a monorepo with a frontend and three backend services. What's a sensible way "
    "to organise the CI pipeline so only the changed services get built and deployed?",
    "I have a dataframe with columns date, store and sales. I need the 7-day rolling "
    "average of sales per store, and then the week with the biggest jump for each store.",
    "My web scraper gets blocked after about fifty requests. How can I add retries with "
    "backoff and rotate user agents politely?",
    "Create a command line tool that takes a folder of images, resizes them to 800px wide "
    "and writes them to an output folder, with a progress bar.",
    "what's the cleanest way to share state between two components that aren't parent and "
    "child? context, a store, or something else?",
    "Here is my function, it works but takes 40 seconds on big inputs:\n\n"
    "def dupes(xs):\n    out = []\n    for i in range(len(xs)):\n"
    "        for j in range(i + 1, len(xs)):\n            if xs[i] == xs[j] and xs[i] not "
    "in out:\n                out.append(xs[i])\n    return out\n\nHow can I make it fast?",
    "Explain how garbage collection works in the JVM and how to tune it for a service "
    "with large heaps.",
    "I get 'permission denied (publickey)' when I push to my remote. I already generated "
    "a key. What am I missing?",
    "Design the database tables for a library system with members, books, copies and "
    "loans, and write the query for overdue loans.",
    "How do I write a plugin for my editor that highlights TODO comments?",
    "Give me a script that watches a directory and uploads any new file to cloud storage.",
    "Our API returns 502 errors under load behind the load balancer. The app logs look "
    "fine. Where should I start looking?",
    "Write a function that checks whether a word is a palindrome, ignoring case and "
    "punctuation, and add a few tests.",
    "In my game, enemies should follow the player around walls. Which pathfinding "
    "approach should I use and how do I implement it on a grid?",
    "I want to stream tokens from a language model API to the browser. Show a minimal "
    "server and client.",
    "How can I make my spreadsheet formula look up a value in another sheet and return "
    "the matching price, or 0 if missing?",
    "Write a simple chatbot in Python that remembers the last five messages.",
    "Memory usage of my service grows slowly until it gets killed. How do I profile it "
    "and find the leak?",
    "Set up authentication with login, logout and password reset for my web app; which "
    "libraries would you use and what does the flow look like?",
)

MATH = (
    "A store sells pens in packs of 12 for $3.60 and singly for $0.35. If I need 50 "
    "pens, what is the cheapest way to buy them and how much does it cost?",
    "My savings account pays 3.5% interest compounded monthly. If I deposit $200 every "
    "month, how much will I have after 10 years?",
    "Three friends split a bill. Anna pays twice what Ben pays, and Ben pays $6 more than "
    "Chloe. The bill is $96. How much does each pay?",
    "Let a and b be positive reals with a + b = 1. Show that ab <= 1/4.",
    "A ladder 10 m long leans against a wall with its foot 6 m from the wall. How high up "
    "the wall does it reach, and how fast does the top slide if the foot moves away at "
    "1 m/s?",
    "What is the probability of getting at least one six in four rolls of a die?",
    "A tank fills in 6 hours with one pipe and empties in 9 hours through a drain. If "
    "both are open, how long until it is full?",
    "Find the smallest positive integer that leaves remainder 2 when divided by 3, 4 and "
    "5.",
    "If the average of five numbers is 14 and four of them are 10, 12, 15 and 18, what is "
    "the fifth?",
    "Show that the function f(x) = x^2 is continuous at every point using the epsilon-delta "
    "definition.",
    "A car depreciates 15% each year. After how many years is it worth less than half its "
    "price?",
    "The sides of a right triangle are consecutive integers. Find them.",
    "We sample 400 voters and 52% support the measure. What is the 95% confidence interval?",
    "A runner completes a lap in 84 seconds. How many laps in 30 minutes, and what is the "
    "pace per kilometre if a lap is 400 m?",
    "How many different 4-digit codes have no repeated digits?",
    "Find the minimum of x^2 + 4x + 9 and the value of x where it happens.",
    "A sequence is defined by a1 = 2 and a(n+1) = 3a(n) - 1. Find a formula for a(n).",
    "The price went up 25% and then down 20%. What is the overall change?",
)

REASONING = (
    "Anna, Ben and Carl each own one pet: a cat, a dog and a fish. Anna is allergic to fur. "
    "Ben's pet barks. Who owns which pet?",
    "In a village the barber shaves everyone who does not shave themselves. Who shaves the "
    "barber? Explain the contradiction.",
    "Someone says: 'I always lie.' Can that statement be true? Walk through both cases.",
    "Five houses in a row are painted different colours, and each owner drinks a different "
    "drink. Using these clues, work out who drinks water.",
    "If a plane crashes exactly on the border between two countries, where do they bury "
    "the survivors?",
    "A says B is lying. B says C is lying. C says both A and B are lying. Who is telling "
    "the truth?",
    "You have 8 balls and one is heavier. With a balance scale, how can you find it in "
    "two weighings?",
    "Is this argument valid? If the alarm rings, the dog barks. The dog barked. Therefore "
    "the alarm rang.",
    "Four suspects, one thief. Each makes a statement and exactly one statement is true. "
    "Figure out the thief.",
    "A father and son are in a car crash; the surgeon says 'I can't operate, he's my son.' "
    "How is this possible?",
    "Which is more likely: that Linda is a bank teller, or that she is a bank teller and "
    "active in the feminist movement? Explain the reasoning.",
    "There is a 100-storey building and two eggs. What strategy finds the highest safe "
    "floor with the fewest drops, and why?",
    "If every time the cock crows the sun rises, does the crowing cause the sunrise? "
    "Explain the reasoning error.",
    "Given: all squares are rectangles, some rectangles are red. Can we say some squares "
    "are red? Justify.",
    "A man is found dead in a room with a puddle of water and broken glass. What "
    "happened?",
    "How can you measure exactly 4 litres with only a 3-litre and a 5-litre jug?",
    "Two trains approach each other and a fly flies back and forth between them. Is there "
    "a shortcut to the total distance it flies? Think about it before computing.",
)

CREATIVE_WRITING = (
    "I'm launching a small online shop that sells handmade candles. Write three short "
    "paragraphs for the About page that feel warm and personal.",
    "Write a cold outreach email to a potential client offering our bookkeeping services; "
    "keep it under 120 words and end with a clear call to action.",
    "My best friend is moving abroad. Write a goodbye card message that is funny but will "
    "make her cry a little.",
    "Write a short scene in which a detective interviews a suspect who answers only with "
    "questions.",
    "Give me five title ideas and an opening paragraph for a blog post about living with "
    "less stuff.",
    "Write a poem for my parents' 30th anniversary, four stanzas, rhyming.",
    "Write a story for kids where the main character is a shy cloud who wants to make "
    "rain.",
    "Draft a job ad for a part-time barista at a cozy neighbourhood cafe.",
    "Rewrite the following in a more exciting tone for a newsletter: The office will be "
    "closed on Friday for maintenance.",
    "Write the lyrics for a lullaby about the stars, with a repeating chorus.",
    "Write a persuasive speech for a student council election focused on longer lunch "
    "breaks.",
    "Compose a formal letter of complaint to an airline about lost luggage.",
    "Write a dramatic movie trailer voice-over for a film about a retired baker who "
    "becomes a spy.",
    "Create a short bio for my author page: I write mystery novels set in small coastal "
    "towns and I keep bees.",
    "Write a toast for a retirement party for a nurse who worked 35 years at the same "
    "hospital.",
    "Craft a social media post announcing our bakery's new vegan menu, playful tone, "
    "with emojis.",
    "Write a short poem where every line starts with the next letter of the alphabet.",
    "Write a short horror story told through a series of text messages.",
)

SUMMARIZATION = (
    "Here are my notes from today's standup:\n- API migration is 70% done, blocked on auth\n"
    "- Mobile release slipped to next Tuesday\n- Two new hires start Monday\n"
    "Summarize them for people who missed it.",
    "I'm pasting a long email thread from our vendor below. Please summarize what they "
    "agreed to, what is still open, and any dates.",
    "Can you give me a one-paragraph summary of this article so I can decide whether to "
    "read it in full?",
    "The following is a transcript of a customer call. Summarise the customer's problem "
    "and what the agent promised.",
    "Read this policy and summarize what changes for employees who work remotely.",
    "Summarize the following passage in plain language for a ten-year-old: "
    "Photosynthesis is the process by which green plants convert light energy into "
    "chemical energy stored in glucose.",
    "I don't have time to read this 30 page report. What are the main conclusions?",
    "Summarize this Slack discussion and tell me what decision was reached.",
    "Please write a short summary of the book 1984 focusing on its main themes.",
    "Here is a product spec. Summarize it into a short paragraph for the sales team.",
    "Condense the text below into three bullet points, each under 15 words.",
    "Summarize the plot of the first Harry Potter book in five sentences.",
    "What is this contract clause saying, in short?",
    "Give me a summary of the key events of World War I in under 150 words.",
    "Summarize the user reviews below: what do people like and dislike most?",
    "Shorten this cover letter to fit on half a page without losing the key points.",
)
