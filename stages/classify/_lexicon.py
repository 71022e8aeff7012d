"""Word lists that carry a label's signal past the training prompts' own vocabulary.

A prompt about a framework the training set never names still says "code" if the
framework is on this list. Written from general knowledge (languages, tools and
notations a developer, a mathematician or a translator would name), not from any
evaluation set. Each list becomes one feature, so its weight is learned once for all
its words.
"""

from __future__ import annotations

import re

TECH = frozenset("""
python javascript typescript java kotlin golang php perl scala haskell clojure elixir
erlang lua fortran cobol matlab vba vb6 vb.net verilog vhdl systemverilog hlsl glsl
cuda opencl solidity sql mysql postgres postgresql sqlite mongodb redis cassandra
elasticsearch graphql html css scss sass tailwind bootstrap vue svelte nextjs next.js
nuxt jquery node.js nodejs deno npm yarn webpack vite babel django fastapi laravel
symfony springboot dotnet .net asp.net blazor wpf winforms xaml pyqt tkinter electron
flutter android ios xcode swiftui godot roblox pandas numpy scipy matplotlib seaborn
plotly sklearn scikit-learn pytorch tensorflow keras jax huggingface langchain
llamaindex opencv pyspark databricks hadoop kafka airflow dbt bigquery tidyverse dplyr
ggplot ggplot2 streamlit gradio jupyter docker dockerfile kubernetes k8s terraform
ansible nginx systemd crontab bash zsh powershell linux ubuntu debian nixos wsl git
github gitlab jenkins aws azure gcp s3 ec2 api apis restful grpc websocket websockets
http https oauth jwt cors ssh tcp udp dns regex regexp compiler debugger stacktrace
traceback segfault refactor refactoring codebase sdk cli frontend backend fullstack
microservice microservices endpoint endpoints orm hashmap goroutine coroutine async
await mutex multithreading pip conda venv virtualenv cargo maven gradle cmake makefile
gcc clang llvm jvm bytecode unittest pytest junit selenium playwright puppeteer
beautifulsoup ffmpeg imagemagick vba odoo wordpress shopify firebase supabase vercel
heroku webhook chrome firefox chromium autolisp autocad cocotb vulkan opengl directx
unreal jq awk sed grep geopandas vscode vim emacs stdin stdout printf println nums int
str bool dict tampermonkey userscript arduino esp32 micropython webhooks leetcode
bitwise runtimeerror typeerror valueerror indexerror keyerror nullpointerexception
stackoverflow localhost ipv4 ipv6 subnet vlan drupal joomla magento sap abap vbscript
vbs octave salesforce sharepoint
""".split())

PROGRAMMING = frozenset("""
code coding programming programmer developer script scripting debug struct trait enum
array arrays pointer pointers recursion recursive threading concurrency callback
callbacks lambda decorator iterator import compile compiling serialize serializer
deserialize scrape scraping scraper crawler oop hashtable boolean undefined repo
repository shader shaders testbench subroutine middleware backend runtime syntax
compiler interpreter testcase testcases
""".split())

# Words that name software things but are everyday words too ("develop a plan", "a
# mobile application", "the rest of the world", "a bug in the room"), and data formats,
# which extraction and rating prompts ask for as often as code does. Each list is a
# feature of its own, so its weight is learned apart from the unambiguous lists above.
LOOSE_TECH = frozenset("""
addon addons algorithm algorithms angular apache app application applications binary
blender bot bots browser bug bugs class classes client closure config configuration
container containers daemon dart database databases dependencies dependency deploy
deployment develop dictionary excel exception express flask formula framework
frameworks function functions generator gui helm implement implementation install
installed integer interface jest julia kernel libraries library loop loops macro
macros migration mocha mock mocking module modules null package packages parse parser
parsing plugin plugins program promise queries query rails raspberry react rest ruby
rust schema server shell shiny snippet spark spreadsheet spring swift thread threads
torch unity variable variables widget widgets windows
""".split())

FORMATS = frozenset("""
json yaml toml xml csv xlsx markdown latex
""".split())

# Code-shaped tokens: a prompt has the mark when any of these patterns matches. They are
# searched one by one because each then starts with a literal character or a character
# class, which the regex engine skips to; one alternation of all of them is tried at
# every position (3x slower on long prompts). A capital after two lower-case letters is
# camelCase (after one it is a brand: iPhone, eBay).
TECH_PATTERNS = (
    re.compile(r"\+\+|#|\.(?:py|js|ts|rs|go|java|cpp|sh|sql|json|yaml|yml|html|css)\b|\(\)"
               r"|_[a-z0-9]|</?[a-z]+>|\$[a-z_]|->|=>|::|!=|=="),
    CAMEL_CASE := re.compile(r"[A-Z](?<=[a-z]{2}[A-Z])"),
)

NATURAL_LANGUAGES = frozenset("""
english french spanish german italian portuguese dutch russian ukrainian polish czech
slovak romanian hungarian greek turkish arabic hebrew persian farsi urdu hindi bengali
punjabi tamil telugu marathi gujarati chinese mandarin cantonese japanese korean thai
vietnamese indonesian malay tagalog filipino swahili amharic yoruba zulu swedish
norwegian danish finnish icelandic estonian latvian lithuanian serbian croatian
bosnian slovenian bulgarian macedonian albanian catalan basque galician welsh irish
latin esperanto lojban klingon
""".split())

# Fields of knowledge outside software: a sign of an open question. Added with
# `_seeds_e` after the first evaluation run (see there).
DOMAIN = frozenset("""
business market markets marketing customer customers revenue profit profits sales
strategy strategies startup startups company companies industry industries investment
investments investor investors finance financial bank banks banking tax taxes stock
stocks economy economic economics inflation budget pricing brand management manager
managers leadership employees employee hiring career careers salary retail supply
health healthy medical medicine patient patients doctor doctors disease diseases
symptoms treatment diet nutrition exercise fitness sleep mental therapy hospital
hospitals clinical law laws legal court rights regulation regulations policy policies
government political politics election history historical war wars century ancient
culture cultural religion religious philosophy philosophical ethics ethical moral
society social science scientific physics chemistry biology climate environment
environmental energy ecology education school schools students teacher teachers
university learning travel tourism food recipe cooking music art artists literature
sport sports athlete training garden gardening housing house renovation agriculture
population psychology psychological research studies evidence insurance retirement
pension mortgage real estate property logistics manufacturing mining
consulting consultancy consultant consultants advisor coach coaching wellness nurse
nursing tourism guitar piano chord chords melody film films documentary documentaries
museum chess workout workouts marathon athletes recipes meal meals vegetarian vegan
landlord tenant lawyer lawsuit contractor renovation hedge equities bonds portfolio
trading traders options retirement savings loan loans credit startup entrepreneur
""".split())

MATH = frozenset("""
equation equations solve integral integrals derivative derivatives differentiate
integrate limit limits matrix matrices determinant eigenvalue eigenvalues eigenvector
vector vectors polynomial polynomials quadratic linear logarithm log exponent
exponential factorial prime primes divisor divisible divisors gcd lcm modulo mod
probability probabilities expected variance deviation mean median mode statistics
theorem lemma proof prove proves proving irrational rational integer integers real
complex triangle triangles circle angle angles radius diameter area volume perimeter
hypotenuse geometry algebra calculus trigonometry sine cosine tangent sin cos tan
series sequence converge convergent diverge sum product fraction fractions percent
percentage ratio proportion interest compound simplify factor factorise factorize
inequality inequalities function domain range slope intercept parabola asymptote
permutation permutations combination combinations binomial dice coin arithmetic
""".split())

# Math notation, searched like `TECH_PATTERNS`.
MATH_PATTERNS = (
    re.compile(r"\$[^$\n]{1,80}\$|\\(?:frac|int|sum|sqrt|cdot|times|leq|geq|pi|theta|alpha)"
               r"|\^\s*\d|f\(x\)|dy/dx"),
    re.compile("\\d(?:\\s*[-+*/^\u00d7\u00f7]\\s*\\d|[a-z]\\s*[-+=])"),
    MATH_SYMBOLS := re.compile(r"[∑∫√π≤≥≠∞]"),
)

# How people ask for each task: single words (matched against the prompt's words) and
# phrases (a regex over its lower-cased text). One feature per task: `#cue:<task>`.
# Each task's words start with how the commonest other languages ask for it (Spanish,
# French, German, Italian, Portuguese), so that a prompt written in one is read by what
# it asks for, not taken for a translation because its words are foreign.
CUE_WORDS: dict[str, frozenset[str]] = {
    "code": frozenset(),
    "math": frozenset("""
        calcula calcule calculez berechne berechnen calcola resuelve résous löse
        risolvi probabilidad probabilité wahrscheinlichkeit probabilità
        calculate compute solve evaluate simplify prove derive integral derivative equation
        probability percent percentage
    """.split()),
    "reasoning": frozenset("""
        adivinanza acertijo devinette énigme rätsel indovinello enigma
        riddle riddles puzzle puzzles logic logical logically syllogism premise premises
        deduce deduction infer inference fallacy fallacies paradox lateral knight knave
        liar liars truthful conclude conclusion
    """.split()),
    "creative_writing": frozenset("""
        escribe escríbeme escreva écris écrivez schreib schreibe scrivi poema
        poème gedicht cuento réécris reescribe
        story stories poem poems poetry haiku limerick sonnet ode lyrics song verse rap
        essay blog toast speech eulogy letter email slogan tagline caption screenplay
        monologue dialogue fable fairy tale novel chapter narrative fiction
        backstory newsletter announcement invitation draft compose rewrite rephrase
        paraphrase
    """.split()),
    "summarization": frozenset("""
        resumen resúmeme résume résumer zusammenfassung fasse riassumi riassunto resuma
        summarize summarise summarizing summarising summary summaries summarization tldr
        condense recap gist synopsis abstract takeaways rundown digest shorten
    """.split()),
    "translation": frozenset("""
        translate translated translating translation translations traduce traduis
        traduire traducir übersetze übersetzen tradurre traduza переведи 翻译 翻訳
    """.split()),
    "extraction": frozenset("""
        extrae extraer extrais extraire extrahiere estrai extraia
        extract extracting extraction pull parse identify entities entity fields json
        csv table occurrences mentioned mentions
    """.split()),
    "classification": frozenset("""
        clasifica clasificar classifique classez klassifiziere classifica bewerte
        classify classifying classification categorize categorise categorization label
        labels labelling labeling tag tags sentiment spam intent category categories
        bucket genre toxicity sarcastic fraudulent
    """.split()),
    "open_qa": frozenset("""
        explica explique expliquez erkläre erklär spiega pourquoi warum perché
        what why who when where which explain describe difference history meaning
        benefits causes advice tips recommend recommendations suggestions guidance
        overview insights
    """.split()),
    "chat": frozenset("""
        hola bonjour salut hallo ciao olá merci gracias danke grazie
        hi hello hey hiya thanks thank bye goodbye lol haha pretend roleplay character
        persona chat talk conversation buddy friend feeling feel bored
    """.split()),
}

CUE_PHRASES: dict[str, tuple[str, ...]] = {
    "code": (
        "write a function", "write a script", "write a program", "write a class",
        "write a query", "implement a ", "fix this", "debug ", "refactor", "in python",
        "in java", "in rust", "in c++", "in c#", "in javascript", "in typescript",
        "in sql", "in bash", "error:", "exception", "traceback", "compile",
    ),
    "math": (
        "how many", "how much", "what is the value", "solve for", "find the value",
        "find the area", "find the volume", "find the sum", "find the probability",
        "find the limit", "find the roots", "show that", "prove that",
    ),
    "reasoning": (
        "step by step", "think it through", "think carefully", "must be true",
        "is lying", "telling the truth", "what comes next", "in what order", "who is the",
        "is it possible", "what can we conclude", "does it follow",
    ),
    "creative_writing": (
        "write a ", "write an ", "write me a", "in the style of", "in the voice of",
        "cover letter", "short story", "blog post", "make it rhyme",
    ),
    "summarization": (
        "tl;dr", "tl dr", "key points", "main points", "in one sentence",
        "in two sentences", "in three sentences", "in a few sentences", "boil this down",
        "short version", "sum up", "main takeaways",
    ),
    "translation": (
        "how do you say", "how would i say", "how do i say", "how would you say",
        "into english", "into french", "into spanish", "into german", "into italian",
        "into chinese", "into japanese", "to english", "to french", "to spanish",
        "to german", "in spanish", "in french", "in german", "in japanese",
        "in chinese", "in italian", "the word for", "what does '",
    ),
    "extraction": (
        "extract", "pull out", "list all", "list every", "list each", "find all",
        "find every", "return the", "as json", "from the text", "from this text",
        "from the following", "mentioned in",
    ),
    "classification": (
        "positive or negative", "positive, negative", "negative or neutral",
        "which category", "spam or", "fact or opinion", "as one of", "on a scale",
        "assign a ", "assign each", "label each", "for each, say",
    ),
    "open_qa": (
        "what is ", "what are ", "why is ", "why do ", "why does ", "how does ",
        "how do i ", "explain ", "what should", "what's the difference", "how can i ",
        "how should ", "best practices", "pros and cons", "help me understand",
        "tell me about", "give me an overview", "what would you recommend",
    ),
    "chat": (
        "how are you", "from now on", "in character", "act as", "play the role",
        "pretend to be", "pretend you", "you are a ", "you are an ", "you are my",
        "good morning", "good night", "let's chat", "let's talk", "roleplay",
        "role-play", "role play",
    ),
}
