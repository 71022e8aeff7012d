"""Training prompts, part four: longer, messier prompts for translation, extraction,
classification, open QA and chat. Hand-written, like the other parts.
"""

from __future__ import annotations

TRANSLATION = (
    "I'm writing to my host family in Spain. Can you translate this so it sounds natural: "
    "Thank you so much for having me, I will never forget the dinners on the terrace.",
    "My grandmother sent me this message and I can't read it, what does it say? "
    "Liebe Anna, wir vermissen dich sehr und hoffen, dass du bald zu Besuch kommst.",
    "Please translate our app's error messages into French and German. Keep placeholders "
    "like {name} unchanged.",
    "Translate the following text from English to Brazilian Portuguese, informal tone:\n\n"
    "Hey everyone, the party starts at eight, bring something to drink!",
    "What is the correct way to say 'see you soon' in Mandarin, and how is it pronounced?",
    "Can you translate this into Japanese for a business email, politely: We would like "
    "to confirm the delivery date.",
    "Translate this recipe from Italian into English and convert the units: 200 g di "
    "farina, 3 uova, un pizzico di sale.",
    "Render the following paragraph in simple Spanish for beginners.",
    "Could you translate these survey answers from Russian to English?",
    "Translate the text on this sign into English: 'Defense de stationner, sortie de "
    "vehicules'.",
    "Help me translate my wedding vows into Greek, keeping them romantic.",
    "How would a native speaker translate 'it's raining cats and dogs' into French?",
    "Translate this paragraph into Korean and then back into English so I can check it.",
    "Please provide an English translation of this Arabic greeting: السلام عليكم",
    "I need the Dutch version of this short product description for our website.",
)

EXTRACTION = (
    "Below is a job posting. Give me a JSON object with the fields title, company, "
    "location, salary and remote (true or false).",
    "From this text, list every medication with its dose and how often it is taken: The "
    "patient takes metformin 500 mg twice daily and lisinopril 10 mg once a day.",
    "Go through these meeting minutes and pull out all decisions and the person "
    "responsible for each.",
    "I pasted an order confirmation below. What's the order number, the delivery address "
    "and the estimated arrival date?",
    "Extract all dates and amounts from these invoice lines and put them in a CSV with "
    "the columns date and amount.",
    "Find every product mentioned in this review together with what the reviewer said "
    "about it.",
    "From the following biography, extract birth date, birthplace, education and major "
    "works.",
    "Here's a chunk of server logs. Extract the IP addresses that got a 403 response and "
    "how many times each.",
    "Read the article and give me a list of all organisations mentioned and their role.",
    "Turn this unstructured address list into a table with street, city and postcode.",
    "In the text below, which sentences mention a deadline? Quote them.",
    "Extract the questions and the answers from this FAQ page as pairs.",
    "Pull the names, titles and email addresses out of this email signature block.",
    "Scan this contract and list the parties, the start date, the term and the "
    "termination notice period.",
    "Identify all the locations and times in this travel itinerary and list them in "
    "order.",
)

CLASSIFICATION = (
    "Here are twenty customer messages. For each, say whether it is about billing, "
    "shipping, a defect, or something else.",
    "Go through this list of transactions and mark each one as groceries, restaurants, "
    "travel, utilities or other.",
    "Read each review and tell me if the customer would recommend the product: yes, no, "
    "or unclear.",
    "Is this message a phishing attempt? 'Your account has been suspended, verify your "
    "password at the link below.'",
    "Which of these sentences are written in passive voice?",
    "Label each comment as on-topic or off-topic for a thread about gardening.",
    "Classify these research abstracts by field: biology, physics, economics or computer "
    "science.",
    "Tell me the overall sentiment of these tweets about our launch, one label per tweet.",
    "Decide for each of these questions whether it is answerable from the passage or not.",
    "Sort the following tasks into 'do now', 'schedule', 'delegate' and 'drop'.",
    "Is the following text written by a child or an adult? Give a label and a confidence.",
    "Assign each of these bug reports a severity: critical, major, minor or trivial.",
    "For each product title, predict the category it should be listed under.",
    "Is this headline about sports, business, science or entertainment?",
    "Mark each statement as true, false or unknown based on the paragraph above.",
)

OPEN_QA = (
    "I'm thinking about switching careers from teaching to UX design at 35. What skills "
    "would I need and how long does it usually take?",
    "What are the most important things to check before signing a lease on a commercial "
    "property for a restaurant?",
    "We are a 20-person company and want to start using OKRs. How should we introduce "
    "them without creating a lot of overhead?",
    "My tomato plants have yellow leaves at the bottom. What could be causing it and what "
    "should I do?",
    "What are the differences between an LLC and a sole proprietorship for a freelancer?",
    "Can you explain how interest rates set by the central bank affect mortgage rates?",
    "Which factors should a hospital consider when planning a new emergency department?",
    "How do airlines decide ticket prices, and why do they change so often?",
    "What are the main risks of investing in emerging market bonds?",
    "How does intermittent fasting affect metabolism according to current research?",
    "What would be a good go-to-market approach for a B2B analytics product aimed at "
    "small manufacturers?",
    "What is the difference between a heat pump and a traditional furnace, and which is "
    "cheaper to run in a cold climate?",
    "How were medieval castles built without modern machinery?",
    "What should a beginner know about running a marathon without getting injured?",
    "What are the ethical concerns around facial recognition used by police?",
    "How do I prepare for a job interview at a consulting firm?",
    "Why did the 2008 financial crisis happen?",
    "What are the best practices for onboarding new employees remotely?",
)

CHAT = (
    "Honestly I just need to vent. My roommate keeps leaving dishes everywhere and I don't "
    "know how to bring it up without a fight.",
    "You are Marco, a cheerful Italian chef. Stay in character and chat with me while I "
    "cook dinner tonight.",
    "Let's do a roleplay: I'm a traveller arriving at your inn in a fantasy world. Describe "
    "what I see and wait for my reply.",
    "hey, long time no see! what have you been up to?",
    "I'm really happy today, I finally finished my thesis! Celebrate with me!",
    "Talk to me like a wise old friend. I feel stuck in life.",
    "Can you act as a language exchange partner and chat with me in simple English about "
    "my weekend?",
    "Let's pretend you are a customer service agent for a phone company and I'm an "
    "annoyed customer. Start the conversation.",
    "Be my dungeon master for a quick adventure. I'm a halfling rogue. What happens next?",
    "I miss my dog who passed away last month. Can we talk about him for a bit?",
    "You seem smart. Do you think you'll ever have feelings?",
    "Respond as if you were Albert Einstein visiting the present day, and let's chat.",
    "Just say something nice to cheer me up please",
    "thanks for the help earlier, you saved my evening!",
    "Let's keep talking about your favourite books. Which one would you reread?",
)
