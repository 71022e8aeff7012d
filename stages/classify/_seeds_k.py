"""Training prompts, part eleven (K): code, extraction, classification, summarization and
translation, spread over a written plan of topics and phrasings.

Written on 2026-12-01 from the label definitions and a topic list by a writer who never
read the evaluation prompts, for breadth across topics rather than in response to any
errors.
"""

# Topic plan. Code: web backends, frontend frameworks, data engineering, SQL dialects,
# spreadsheets and VBA, shell and DevOps, cloud and IaC, containers and Kubernetes,
# embedded and HDL, game development, ML training code, mobile apps, compilers and
# parsers, concurrency, security tooling, scientific computing, systems languages (Rust,
# Go, C, C++, Zig), JVM and .NET (Java, Kotlin, Scala, C#), functional (Haskell, OCaml,
# Elixir, Lisp), R and MATLAB and Julia, testing, refactoring, debugging from tracebacks,
# performance, regex and text tools, git and editors, notations (Mermaid, ABC, Graphviz),
# build systems, databases and caches, APIs and auth, smart contracts, robotics, audio
# and image processing, GIS. Extraction, classification, summarization and translation:
# medicine, law, finance, HR, real estate, travel, retail, logistics, science papers,
# news, sport, cooking, education, customer support, government, insurance, energy,
# agriculture, music, film, gaming, tourism, manufacturing, aviation, social media.

from __future__ import annotations

CODE = (
    # Short.
    "Write a Django model for a blog post with tags, a slug and a published flag.",
    "How do I stream a large file download in Flask without loading it into memory?",
    "make a vue 3 composable that tracks the window width",
    "Write a Svelte component for a star rating input with keyboard support.",
    "Write an Airflow DAG that copies yesterday's rows from Postgres to S3 every night.",
    "Write a BigQuery query that returns each user's first and last purchase date.",
    "In T-SQL, how do I pivot monthly sales into one column per month?",
    "Excel VBA macro to delete every empty row in the active sheet, please.",
    "Write a Google Sheets formula that pulls the price of a ticker from column A.",
    "write a bash script that backs up my home folder to an external drive with rsync",
    "Write a Terraform module for an S3 bucket with versioning and encryption on.",
    "Write a Helm chart values file for a Redis deployment with persistence enabled.",
    "Write VHDL for a debouncer on a push button with a 10 ms window at 50 MHz.",
    "Write a Godot 4 GDScript for a player that can double jump.",
    "Fine-tune a BERT model for sentiment with the Hugging Face Trainer; show the code.",
    "Write a Jetpack Compose screen with a search bar and a lazy list of results.",
    "Write a tokenizer in Python for a calculator language with numbers, + - * / and "
    "parentheses.",
    "Write a Go worker pool that processes jobs from a channel with five workers.",
    "Write a Python script that hashes passwords with argon2 and verifies them.",
    "Solve the heat equation in 1D with finite differences in NumPy and animate it.",
    "Write a Zig function that reverses a slice in place.",
    "Write a Haskell function that returns all permutations of a list.",
    "Write an R function that bootstraps a confidence interval for the median.",
    "Write a MATLAB script that designs a low-pass Butterworth filter and plots its "
    "response.",
    "Write pytest fixtures for a temporary SQLite database shared across one test module.",
    "Write a Mermaid sequence diagram for a user logging in with OAuth.",
    "Write a tune in ABC notation for a short jig in D major.",
    "Give me a Graphviz dot file that draws the dependencies between five microservices.",
    "Write a CMakeLists.txt for a C++17 library with a test executable using GoogleTest.",
    "Write a Solidity contract for a simple escrow between a buyer and a seller.",
    "Write a ROS 2 node in Python that publishes a laser scan's minimum distance.",
    "Crop and resize every image in a folder with OpenCV, keeping the aspect ratio.",
    "Write a Python function that computes the monthly payment of a mortgage.",
    "Write a program that simulates 10,000 dice games and estimates the chance of a win.",
    "Implement scaled dot-product attention in PyTorch from scratch.",
    "Write a Lua script for Neovim that toggles relative line numbers.",
    "What git command shows which commit changed a given line of a file?",
    "Regex to match a UK postcode?",
    "Write an Elixir GenServer that keeps a counter and can be reset.",
    "Write a Common Lisp macro that times how long its body takes to run.",
    "Write a Kotlin coroutine that polls an endpoint every 30 seconds until cancelled.",
    "Write a C# LINQ query that groups orders by customer and sums their totals.",
    "Write a Julia function that integrates an ODE with DifferentialEquations.jl.",
    "Escribe una función en JavaScript que valide un número de tarjeta con el algoritmo "
    "de Luhn.",
    "Schreib mir ein Python-Skript, das alle PDF-Dateien in einem Ordner zusammenfügt.",
    # Medium.
    "I'm building an Express API and want rate limiting per API key, not per IP. Which "
    "middleware would you use, and can you show the setup with a Redis store?",
    "My React app re-renders the whole list every time I type in the filter box. How "
    "do I stop that with useMemo or memo, and when is it worth it?",
    "We load CSV files from an SFTP server into Snowflake every hour. Sketch a pipeline "
    "with dbt models for staging and a daily aggregate table.",
    "In PostgreSQL I need the top three products by revenue within each category. Should "
    "I use a window function or a lateral join? Show both.",
    "I have a spreadsheet with names in column A and emails in column B, some missing. "
    "Write a VBA macro that fills in missing emails as first.last@company.com.",
    "Our Kubernetes pods get OOMKilled under load. How do I set memory requests and "
    "limits sensibly, and how do I see the real usage over time?",
    "Write an Arduino sketch for an ESP32 that reads a DHT22 sensor every minute and "
    "posts the values to an MQTT broker. Reconnect if Wi-Fi drops.",
    "I'm making a 2D platformer in Unity. Write a C# script for coyote time and jump "
    "buffering so jumps feel forgiving.",
    "Write a PyTorch Lightning module for a small CNN on CIFAR-10, with mixed precision "
    "and a cosine learning-rate schedule. Keep it under 100 lines.",
    "In SwiftUI, how do I show a sheet when a push notification is tapped, even if the "
    "app was closed? I'm on iOS 17.",
    "Implement a Pratt parser in TypeScript for arithmetic expressions with unary minus, "
    "exponent (right-associative) and function calls like max(a, b).",
    "In Rust with tokio, I want to cancel all spawned tasks when Ctrl+C is pressed and "
    "wait for them to finish cleanup. What's the idiomatic pattern?",
    "Write a Python script that reads an nginx access log and reports IPs with more than "
    "100 failed logins (status 401) in any ten-minute window.",
    "Using SciPy, fit a damped sine wave to noisy measurements and report the fitted "
    "parameters with their standard errors.",
    "Write a C function that parses an IPv4 address string into a uint32_t without using "
    "inet_pton, and returns an error for invalid input.",
    "Refactor a 400-line Java service class that does validation, persistence and email "
    "sending all in one. What would you split out, and show the new interfaces?",
    "Write property-based tests with Hypothesis for a function that merges overlapping "
    "intervals. What properties should hold?",
    "Our Spring Boot app takes 40 seconds to start. How do I find what is slow during "
    "startup, and which settings usually help?",
    "I need a Laravel job that sends a reminder email 24 hours before each booking. How "
    "do I schedule it so it isn't sent twice if the queue retries?",
    "Add a dark-mode toggle to my Tailwind site that remembers the choice in "
    "localStorage and respects the system setting on first visit.",
    "Using PySpark, deduplicate a table of events by user_id and event_time, keeping the "
    "row with the latest ingestion timestamp.",
    "What's the MySQL equivalent of PostgreSQL's DISTINCT ON? I want one row per "
    "customer with their most recent order.",
    "PowerShell: find every user in Active Directory who hasn't logged in for 90 days "
    "and export them to CSV with their manager's name.",
    "Write an Ansible playbook that installs Docker on Ubuntu hosts, adds the deploy "
    "user to the docker group and opens port 443 in ufw.",
    "Write a GitHub Actions workflow that runs tests on three Python versions and "
    "uploads coverage only from the newest one.",
    "Write a Pulumi program in TypeScript that creates a VPC with two private subnets "
    "and a NAT gateway on AWS.",
    "act as a senior embedded dev. my STM32 UART interrupt drops bytes at 115200 baud. "
    "how should I set up DMA with a circular buffer instead?",
    "Write a pygame snake game where the snake speeds up every five apples and the high "
    "score is saved to a file.",
    "Train a gradient-boosted model with LightGBM on a tabular dataset with missing "
    "values and categorical columns, and show feature importance.",
    "I want to implement LoRA fine-tuning for a 7B model on one 24 GB GPU. Give me the "
    "code with PEFT and bitsandbytes and explain the memory settings.",
    "In React Native, how do I upload a photo from the camera roll to a presigned S3 URL "
    "with a progress bar?",
    "Write a recursive-descent JSON parser in C++ that reports the line and column of "
    "the first syntax error.",
    "Explain Java's CompletableFuture chaining by rewriting three nested callbacks that "
    "fetch a user, their orders and the shipping status.",
    "How do I write a Content-Security-Policy header for a site that uses Google Fonts "
    "and one analytics script, without 'unsafe-inline'?",
    "Compute the Mandelbrot set on the GPU with CuPy and compare the speed with a "
    "vectorised NumPy version.",
    "Write an OCaml function that evaluates a small expression language with let "
    "bindings, using a variant type for the AST.",
    "In R with ggplot2, make a faceted line chart of monthly rainfall per station with a "
    "shared y-axis and a smoothed trend line.",
    "This Jest test passes locally but fails in CI because of time zones. How do I "
    "freeze the clock and the zone in Jest?",
    "How should I structure a Redis cache in front of a slow product API so stale data "
    "is served while one request refreshes it?",
    "Design a GraphQL schema for a recipe site with authors, recipes, ingredients and "
    "ratings, and write the resolver for a paginated recipes query.",
    "Write the smallest possible Dockerfile for a Go web server using a multi-stage "
    "build and a distroless final image.",
    "J'ai besoin d'une requête SQL qui calcule le chiffre d'affaires cumulé par mois pour "
    "chaque magasin. Pouvez-vous l'écrire pour PostgreSQL ?",
    "用 Python 写一个脚本把一个文件夹里所有的 Excel 文件合并成一个表格。",
    "Which Python library should I use to read and write Parquet files with a schema, "
    "and how do I append a partition without rewriting the whole dataset?",
    # Long, with code, configuration, a traceback or a schema inline.
    "I get this when I start my Django server after adding a new app:\n"
    "Traceback (most recent call last):\n"
    "  File \"manage.py\", line 22, in <module>\n"
    "    main()\n"
    "  File \"/app/venv/lib/python3.11/site-packages/django/apps/registry.py\", "
    "line 136, in check_apps_ready\n"
    "    raise AppRegistryNotReady(\"Apps aren't loaded yet.\")\n"
    "django.core.exceptions.AppRegistryNotReady: Apps aren't loaded yet.\n"
    "The new app's __init__.py imports a model to register a signal. What is going on "
    "and where should the signal registration live instead?",
    "Here is my docker-compose.yml:\n"
    "services:\n  web:\n    build: .\n    ports:\n      - \"8000:8000\"\n"
    "    depends_on:\n      - db\n  db:\n    image: postgres:16\n"
    "    environment:\n      POSTGRES_PASSWORD: secret\n"
    "The web container crashes on startup with 'could not connect to server: Connection "
    "refused' but works if I restart it a minute later. How do I make it wait until "
    "Postgres is actually ready? Please show the fixed compose file.",
    "Can you make this faster? It takes 20 minutes on 2 million rows.\n"
    "for i, row in df.iterrows():\n"
    "    if row['country'] == 'US':\n"
    "        df.at[i, 'tax'] = row['price'] * 0.07\n"
    "    else:\n"
    "        df.at[i, 'tax'] = row['price'] * rates.get(row['country'], 0.2)\n"
    "rates is a dict of about 40 countries. I'd like a vectorised version and a short "
    "explanation of why iterrows is slow.",
    "Given this schema:\n"
    "CREATE TABLE employees (id INT PRIMARY KEY, name TEXT, manager_id INT "
    "REFERENCES employees(id), salary NUMERIC);\n"
    "CREATE TABLE departments (id INT PRIMARY KEY, name TEXT);\n"
    "CREATE TABLE assignments (employee_id INT, department_id INT, since DATE);\n"
    "Write queries for: 1) every employee with the full chain of managers above them, "
    "2) the department whose total salary grew most since 2023, 3) employees who earn "
    "more than their manager. Use PostgreSQL and explain the recursive CTE.",
    "My Terraform plan wants to destroy and recreate the database every time:\n"
    "resource \"aws_db_instance\" \"main\" {\n"
    "  identifier     = \"app-${random_id.suffix.hex}\"\n"
    "  engine         = \"postgres\"\n"
    "  instance_class = \"db.t3.medium\"\n"
    "  password       = random_password.db.result\n"
    "}\n"
    "Why does this force replacement and how do I change it without losing data? Also "
    "tell me how to protect it from accidental deletion.",
    "This Rust code doesn't compile:\n"
    "fn longest(a: &str, b: &str) -> &str {\n"
    "    if a.len() > b.len() { a } else { b }\n"
    "}\n"
    "error[E0106]: missing lifetime specifier\n"
    "I don't understand lifetimes yet. Fix it, explain what the annotation means in plain "
    "words, and show a call site where the fixed version would still be rejected.",
    "We have this GitHub Actions job:\n"
    "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/checkout@v4\n      - run: npm ci\n      - run: npm test\n"
    "      - run: npm run build\n"
    "npm ci takes four minutes every run. Add caching, run lint and test in parallel "
    "jobs, and deploy the build to GitHub Pages only from main. Return the full YAML.",
    "Please review this Go handler for bugs and race conditions:\n"
    "var hits = map[string]int{}\n"
    "func handler(w http.ResponseWriter, r *http.Request) {\n"
    "    hits[r.URL.Path]++\n"
    "    fmt.Fprintf(w, \"%d\", hits[r.URL.Path])\n"
    "}\n"
    "It crashes sometimes under load with 'concurrent map writes'. Give me a corrected "
    "version, one with a mutex and one with sync.Map, and say which you'd choose.",
    "I'm training a model and the loss becomes nan after a few hundred steps:\n"
    "optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)\n"
    "for x, y in loader:\n"
    "    out = model(x)\n"
    "    loss = torch.log(out).mean() * -1\n"
    "    loss.backward()\n"
    "    optimizer.step()\n"
    "What are the likely causes here (I see at least one missing line) and how should I "
    "debug nan losses in general? Rewrite the loop properly.",
    "Act as a code reviewer. Numbered requirements: 1) point out every bug, 2) suggest "
    "clearer names, 3) give the rewritten function.\n"
    "function calc(a) {\n  let r = 0;\n  for (var i = 0; i <= a.length; i++) {\n"
    "    if (a[i] % 2 == 0) r += a[i];\n  }\n  return r / a.length;\n}\n"
    "It should return the mean of the even numbers in the array.",
    "Our nginx config:\n"
    "server {\n  listen 80;\n  server_name example.org;\n  location /api/ {\n"
    "    proxy_pass http://127.0.0.1:5000;\n  }\n}\n"
    "WebSocket connections to /api/ws fail with a 400 and the backend sees the wrong "
    "client IP. Fix both, add HTTPS with a redirect from port 80, and explain each "
    "directive you add.",
    "I have this Kubernetes deployment and the pod never becomes Ready:\n"
    "readinessProbe:\n  httpGet:\n    path: /health\n    port: 8080\n"
    "  initialDelaySeconds: 2\n  periodSeconds: 5\n"
    "containers:\n- name: api\n  image: registry.local/api:1.4\n  ports:\n"
    "  - containerPort: 3000\n"
    "kubectl describe shows 'Readiness probe failed: connection refused'. What's wrong, "
    "and what else should I add so rolling updates don't drop requests?",
    "Explain what this Bash script does line by line and point out anything dangerous:\n"
    "#!/bin/bash\nset -e\nfor f in $(ls *.log); do\n"
    "  gzip $f && mv $f.gz /archive/$(date +%F)/\ndone\nrm -rf /archive/$OLD/\n"
    "I inherited it from a colleague and it runs from cron on a production box.",
    "Convert this Python class to idiomatic TypeScript with proper types:\n"
    "class Inventory:\n    def __init__(self):\n        self.items = {}\n"
    "    def add(self, sku, qty=1):\n"
    "        self.items[sku] = self.items.get(sku, 0) + qty\n"
    "    def remove(self, sku, qty=1):\n        if self.items.get(sku, 0) < qty:\n"
    "            raise ValueError('not enough stock')\n"
    "        self.items[sku] -= qty\n"
    "Use a Map, throw a custom error class, and add a method that lists low-stock SKUs.",
    "Java question. I get this at runtime:\n"
    "Exception in thread \"main\" java.util.ConcurrentModificationException\n"
    "\tat java.base/java.util.ArrayList$Itr.checkForComodification(ArrayList.java:1013)\n"
    "\tat java.base/java.util.ArrayList$Itr.next(ArrayList.java:967)\n"
    "\tat Cart.removeExpired(Cart.java:31)\n"
    "Line 31 is inside a for-each loop over items where I call items.remove(item) when "
    "it has expired. What's the right way to do this? Show removeIf and the Iterator "
    "version.",
)
