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
    "Fine-tuning fails right away with this:\n"
    "  File \"train.py\", line 88, in <module>\n"
    "    outputs = model(**batch)\n"
    "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.50 GiB "
    "(GPU 0; 23.65 GiB total capacity; 21.90 GiB already allocated)\n"
    "Batch size is 16, sequence length 2048, model is a 3B decoder in fp32. List the "
    "changes in order of how much memory each saves and show the modified "
    "TrainingArguments.",
    "npm install in our monorepo now fails:\n"
    "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\n"
    "npm ERR! Found: react@18.3.1\n"
    "npm ERR! Could not resolve dependency: peer react@\"^17.0.0\" from "
    "some-chart-lib@2.4.0\n"
    "Is --legacy-peer-deps safe here? What are the cleaner options, e.g. overrides in "
    "package.json? Show the snippet.",
    "Here's a protobuf definition:\n"
    "syntax = \"proto3\";\nservice Orders {\n"
    "  rpc Place (PlaceRequest) returns (PlaceReply);\n"
    "  rpc Watch (WatchRequest) returns (stream OrderEvent);\n}\n"
    "message PlaceRequest { string sku = 1; int32 qty = 2; }\n"
    "Write the server in Python with grpcio, including the streaming method that sends "
    "an event whenever an order's status changes, and a client that prints the stream. "
    "Fill in the missing messages sensibly.",
    "Write a MongoDB aggregation for this document shape:\n"
    "{ _id, userId, items: [ { sku, price, qty } ], createdAt, status }\n"
    "I need, per month of 2025, the number of completed orders, the revenue and the "
    "three best-selling SKUs by quantity. Then tell me which index would help.",
    "My Elasticsearch query returns documents that only match one of the words:\n"
    "{ \"query\": { \"match\": { \"title\": \"red running shoes\" } } }\n"
    "I want all three words to be required, a boost when they appear as a phrase, and a "
    "filter on in_stock: true that doesn't affect scoring. Rewrite it.",
    "Write Prometheus alerting rules for our API. Requirements:\n"
    "1. page if the 5xx rate is above 2% for 10 minutes\n"
    "2. warn if p95 latency from http_request_duration_seconds_bucket exceeds 800 ms\n"
    "3. page if any instance has been down for 3 minutes\n"
    "Our metrics are http_requests_total{code, route, instance}. Give the YAML and a "
    "one-line explanation of each expression.",
    "This C program segfaults and valgrind says:\n"
    "==4121== Invalid write of size 1\n==4121==    at 0x109204: copy_name (names.c:17)\n"
    "==4121==  Address 0x4a8f045 is 0 bytes after a block of size 5 alloc'd\n"
    "Line 17 is inside:\n"
    "char *copy_name(const char *s) {\n  char *d = malloc(strlen(s));\n"
    "  strcpy(d, s);\n  return d;\n}\n"
    "Explain the valgrind message and fix the function.",
    "I'm writing a Flutter app and get this red screen:\n"
    "A RenderFlex overflowed by 86 pixels on the bottom.\n"
    "The relevant error-causing widget was: Column lib/screens/profile.dart:41\n"
    "The Column has an avatar, a name, a long bio Text and two buttons, inside a Scaffold "
    "body. It breaks when the keyboard opens. How should I restructure it?",
    "Vite config question. Current vite.config.ts:\n"
    "export default defineConfig({\n  plugins: [react()],\n"
    "  server: { port: 3000 },\n})\n"
    "I need: a proxy from /api to localhost:8080, an alias @ for src, separate vendor "
    "chunks for react and chart libraries, and source maps only in staging builds. "
    "Return the new file.",
    "Write a systemd unit and timer for this. The script /opt/report/run.sh should run "
    "every weekday at 06:30, as user report, with the environment from "
    "/etc/report.env, be killed if it runs over 20 minutes, and retry once on failure. "
    "Current crontab line for reference:\n"
    "30 6 * * 1-5 /opt/report/run.sh >> /var/log/report.log 2>&1",
    "Power Query M: my step\n"
    "= Table.TransformColumnTypes(Source,{{\"Date\", type date}, {\"Amount\", "
    "type number}})\n"
    "fails with 'DataFormat.Error: We couldn't parse the input provided as a Date value' "
    "because the file uses dd.mm.yyyy and some rows say 'n/a'. How do I parse with a "
    "culture and turn bad values into null?",
    "Write a DAX measure for a Power BI report: year-over-year growth of sales that "
    "respects the slicer on region, returns blank when last year had no sales, and "
    "works with this model:\n"
    "Sales[Date], Sales[Amount], Sales[RegionKey]\n"
    "Calendar[Date] marked as a date table\nRegion[RegionKey], Region[Name]",
    "Asyncio warnings in my bot:\n"
    "Task was destroyed but it is pending!\n"
    "task: <Task pending name='Task-12' coro=<poll_feed() running at bot.py:54>>\n"
    "RuntimeWarning: coroutine 'send_alert' was never awaited\n"
    "I start poll_feed with asyncio.create_task inside a for loop and call send_alert "
    "from a normal function. Explain both warnings and restructure it with a TaskGroup.",
    "Translate this MATLAB into NumPy, keeping the indexing right:\n"
    "A = zeros(n);\nfor i = 1:n\n  for j = 1:n\n"
    "    A(i,j) = exp(-abs(i-j)/L);\n  end\nend\n"
    "x = A \\ b;\nplot(1:n, x, 'r-');\n"
    "Then vectorise the loop and tell me whether np.linalg.solve or lstsq is the right "
    "replacement for the backslash.",
    "TypeScript error I can't get rid of:\n"
    "Argument of type 'string | undefined' is not assignable to parameter of type "
    "'string'.\n  Type 'undefined' is not assignable to type 'string'. ts(2345)\n"
    "const id = params.get('id');\nconst user = await loadUser(id);\n"
    "What are the proper ways to handle it, and why is the non-null assertion usually "
    "a bad idea?",
    "Write a Verilog testbench for this module, with a clock, a reset, random stimulus "
    "and self-checking against a reference model:\n"
    "module fifo #(parameter W=8, D=16) (input clk, rst, wr_en, rd_en, "
    "input [W-1:0] din, output [W-1:0] dout, output full, empty);\n"
    "Report any mismatch with the time it happened.",
    "Our ASP.NET Core API logs this under load:\n"
    "System.InvalidOperationException: A second operation was started on this context "
    "instance before a previous operation completed.\n"
    "   at Microsoft.EntityFrameworkCore.Infrastructure.Internal."
    "ConcurrencyDetector.EnterCriticalSection()\n"
    "The DbContext is injected into a singleton service that a background worker also "
    "uses. How should the lifetimes be set up? Show the registration code.",
    "I want to write a tiny Lisp interpreter in Python for teaching. Requirements: "
    "numbers, symbols, define, lambda, if, and lists; a REPL; tail calls should not blow "
    "the stack. Here's the tokenizer I already have:\n"
    "def tokenize(s):\n    return s.replace('(', ' ( ').replace(')', ' ) ').split()\n"
    "Write the parser, the environment and eval, and explain how you handle tail calls.",
    "Review this SQL migration before I run it on a 200 GB production table in MySQL "
    "8:\n"
    "ALTER TABLE events ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 0;\n"
    "CREATE INDEX idx_events_tenant ON events (tenant_id, created_at);\n"
    "UPDATE events SET tenant_id = (SELECT tenant_id FROM users WHERE users.id = "
    "events.user_id);\n"
    "Will it lock the table? How long might it take? Propose a safer batch plan with "
    "the actual statements.",
    "Kotlin Android crash from Crashlytics:\n"
    "kotlin.UninitializedPropertyAccessException: lateinit property adapter has not "
    "been initialized\n"
    "    at com.shop.ui.CartFragment.onResume(CartFragment.kt:58)\n"
    "The adapter is set in onViewCreated after a network call returns. It only happens "
    "when users come back to the app after a long time. Why, and how should the "
    "fragment be structured?",
    "Write an OpenAPI 3.1 spec (YAML) for a to-do service with these endpoints: list "
    "tasks with filtering by status and paging, create a task, update it partially, "
    "delete it. Tasks have id, title, status (open, done), due date and tags. Include "
    "error responses and a bearer auth scheme, then generate a FastAPI skeleton that "
    "matches it.",
    "I am porting a game from Unity to Godot. Here is a piece of the Unity script:\n"
    "void Update() {\n"
    "  float h = Input.GetAxis(\"Horizontal\");\n"
    "  rb.velocity = new Vector2(h * speed, rb.velocity.y);\n"
    "  if (Input.GetButtonDown(\"Jump\") && grounded) rb.AddForce(Vector2.up * jump);\n"
    "}\n"
    "Write the equivalent for a CharacterBody2D in GDScript 4, and note the differences "
    "in how physics is handled.",
    "Help me write a Makefile for a C project with src/, include/ and tests/. Needs: "
    "debug and release builds in separate folders, automatic header dependencies, a "
    "test target that builds and runs every tests/*.c, and a clean target. Compiler "
    "flags I use now: -Wall -Wextra -std=c11 -O2.",
    "This Haskell doesn't type-check and I don't get the message:\n"
    "average xs = sum xs / length xs\n"
    "No instance for (Fractional Int) arising from a use of '/'\n"
    "Explain the error in terms of type classes and give two fixes, one using "
    "fromIntegral and one with a type signature that generalises it.",
    "Ich habe folgenden Fehler in meinem Python-Skript:\n"
    "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe4 in position 17: invalid "
    "continuation byte\n"
    "Die Datei ist eine CSV aus einem alten Windows-Programm mit Umlauten. Wie lese ich "
    "sie richtig mit pandas ein, und wie finde ich die Kodierung heraus?",
    "Write a Python CLI with argparse or click that takes a folder of Markdown notes and "
    "builds a static site: each note becomes an HTML page, [[wiki links]] become links, "
    "there's an index page sorted by date from the front matter, and broken links are "
    "reported at the end. Keep it in one file under 200 lines.",
)

EXTRACTION = (
    "Pull every flight number, departure time and gate from this airport announcement "
    "log:\n07:40 KL1024 to Amsterdam now boarding at gate D4\n"
    "07:55 LH981 to Frankfurt delayed, new time 08:30, gate B12\n"
    "08:05 IB3171 to Madrid gate change to C7",
    "Extract the medication names and doses from this discharge note as JSON: 'Continue "
    "metoprolol 25 mg twice daily. Stop aspirin. Start atorvastatin 40 mg at night. "
    "Paracetamol 1 g as needed, max 4 g/day.'",
    "From this lease clause, list the rent amount, the deposit, the due day of the month "
    "and the late fee: 'Tenant shall pay EUR 1,150 per month on or before the 3rd day "
    "of each month. A security deposit of two months' rent is payable at signing. "
    "Payments received after the 10th incur a fee of EUR 40.'",
    "get me all the email addresses and phone numbers from this signature block, "
    "nothing else:\nBest, Mara Ilvesk | Ops Lead\nmara.ilvesk@northfjord.example | "
    "+47 912 34 567\nSupport: help@northfjord.example, +47 22 00 11 00",
    "Here is a quarterly earnings paragraph. Extract revenue, operating margin, net "
    "income and guidance for next quarter into a table with units: 'Revenue rose 8% to "
    "$412.6 million. Operating margin was 14.2%, down from 15.0%. Net income came in at "
    "$38.1 million. For the fourth quarter we expect revenue between $425 and $440 "
    "million.'",
    "Extract the candidate's skills, years of experience per job and highest degree from "
    "this CV text:\nSoftware tester, Brightline Ltd, 2017-2020. QA lead, Pellham "
    "Systems, 2020-now. Selenium, Cypress, SQL, JIRA, basic Python. BSc Computer "
    "Science, 2016.",
    "Return a CSV with address, bedrooms, price and size in square metres for each "
    "listing:\n1) Sunny 3-bed flat on Harrow Lane 14, 82 m2, asking 315,000\n"
    "2) Garden cottage, 2 bedrooms, 61 sqm, 12 Mill Road, offers over 240k\n"
    "3) Penthouse, 4 bed, 140 m2, Quay Street 1, 890,000",
    "List every date and the event that happens on it in this itinerary, in order: "
    "'We land in Hanoi on the 4th and take the night train to Sapa on the 5th. Two days "
    "of trekking, back in Hanoi on the 8th, Ha Long Bay cruise on the 9th and 10th, "
    "flight home on the 11th.'",
    "Extract the ingredients with quantities and units from this recipe, and separately "
    "the equipment it needs: 'Whisk 3 eggs with 200 ml milk in a large bowl. Sift in 150 "
    "g flour and a pinch of salt. Rest 30 minutes, then fry in a 24 cm pan with a knob "
    "of butter.'",
    "From the shipping notifications below, pull the tracking number, carrier and "
    "expected delivery date for each parcel and return a JSON array.\n"
    "Your parcel 00340434161094042557 is on its way with DPD, arriving Thursday 12 June.\n"
    "UPS: 1Z999AA10123456784 out for delivery today (10 June).\n"
    "Royal Mail tracked 48 - ref JV123456789GB - expected 13-14 June.",
    "Read this abstract and extract the sample size, the intervention, the primary "
    "outcome and the reported effect with its confidence interval: 'We randomised 248 "
    "adults with mild hypertension to daily brisk walking or usual care for 12 weeks. "
    "Systolic pressure fell by 5.1 mmHg more in the walking group (95% CI 2.3 to 7.9).'",
    "Which players scored, and in which minute? 'Okafor opened the scoring in the 12th "
    "minute. Lindqvist equalised just before half-time (44'). A late header from "
    "substitute Varga (87') won it for the visitors.' Give me name, minute and team.",
    "Extract all the product codes (they look like AB-1234) from the text I paste next "
    "and dedupe them.",
    "I'll paste a support chat. Pull out the customer's order number, the problem they "
    "report, what the agent promised and any deadline mentioned, as four fields.",
    "From these sensor log lines, extract the timestamps where the temperature was above "
    "80 C and the machine id:\n2025-03-02T10:00 press-3 temp=76.2\n"
    "2025-03-02T10:05 press-3 temp=81.9\n2025-03-02T10:05 press-7 temp=83.0\n"
    "2025-03-02T10:10 press-3 temp=79.4",
    "Please extract the named entities (people, organisations, locations) from this news "
    "item and give each one's type: 'The Harbour Authority of Valdemar said on Tuesday "
    "that inspector Ruth Aldane will lead the review of the collapsed pier, with help "
    "from engineers at Kestrel & Moor.'",
    "Pull the policy number, insured vehicle, claim date and damage description out of "
    "this insurance claim email and return YAML.",
    "Extract the song titles and their durations from this tracklist and give the total "
    "running time too:\n1. Low Tide 3:41\n2. Paper Lanterns 4:05\n3. North Wind "
    "(reprise) 2:12\n4. Salt 5:30",
    "Make a table of every course code, title and credit value from this catalogue "
    "excerpt: 'BIO 210 Cell Biology (5 ECTS). CHE 105 General Chemistry I, 6 ECTS. "
    "MAT 120 Calculus for Life Sciences - 5 credits.'",
    "Take the meeting transcript below and list each action item with its owner and due "
    "date. If no date is given write 'none'.",
    "pull the years out of these: 'est. 1998', 'founded in 2004', 'open since 1987'",
    "From these tweets, extract each brand mentioned and the product it's about, as "
    "pairs:\n'my new Corvel earbuds died after a week lol'\n'Tandra's oat latte is "
    "back and I'm thrilled'\n'anyone else's Wexa router dropping wifi every night?'",
    "Extract the energy readings (kWh) and the billing period from this utility bill "
    "text, and note whether each reading is actual or estimated.",
    "Return only the URLs found in the following HTML snippet, one per line:\n"
    "<p>See <a href=\"https://docs.example.com/start\">the guide</a> and "
    "<a href='/pricing'>pricing</a>.</p><img src=\"https://cdn.example.com/a.png\">",
    "Extract crop, field, planting date and expected harvest from each line of this farm "
    "diary and put it in a CSV.\n"
    "Apr 2 - sowed spring barley in the long meadow, should be ready mid August\n"
    "Apr 19 - potatoes (Charlotte) in field 3, lift from early July\n"
    "May 6 - sweetcorn under fleece by the barn, harvest September if the summer is kind",
    "Pick out every statute or article number cited in this judgment paragraph and say "
    "what each is cited for.",
    "What are the opening hours, the ticket prices for adults and children, and the "
    "address of the museum, according to this page text? 'The Tidewater Museum, 4 Quay "
    "Row, is open Tue-Sun 10:00-17:00 (Thu until 20:00). Adults 14, children under 16 "
    "free, students 9.'",
    "Extrae de este texto todas las fechas y los importes, y devuélvelos en una tabla: "
    "'El 3 de marzo pagamos 1.200 euros de alquiler; el 15 de marzo llegó la factura de "
    "luz de 86,40 euros y el 1 de abril otra vez el alquiler.'",
    "Parse this messy address list into street, house number, postcode and city fields "
    "as JSON. Some lines have the postcode first.\n"
    "Lindenweg 7, 04109 Leipzig\n80331 Munich, Sendlinger Str. 22a\n"
    "Hauptstrasse 101 - 6020 Innsbruck\n10115 Berlin Torstr 5",
    "From the release notes below, extract every breaking change and the version that "
    "introduced it.\n"
    "v3.2.0: added dark theme; the config key 'colour' is renamed to 'color'.\n"
    "v3.1.4: bug fixes only.\n"
    "v3.1.0: Node 16 is no longer supported; new export to PDF.\n"
    "v3.0.0: the REST API moves from /v1 to /v2 and /v1 is removed.",
)

CLASSIFICATION = (
    "Label each review as positive, negative or neutral:\n1. 'Arrived on time, does "
    "what it says.'\n2. 'The zipper broke on day two.'\n3. 'Honestly the best hiking "
    "boots I've owned.'\n4. 'It's a backpack.'",
    "Is this message spam? 'Congratulations! Your parcel could not be delivered, pay the "
    "1.99 fee here to reschedule.'",
    "Sort these support tickets into Billing, Technical, Shipping or Other and return "
    "JSON with ticket id and category:\n#881 'charged twice this month'\n#882 'app "
    "crashes when I open settings'\n#883 'where is my package, ordered 10 days ago'\n"
    "#884 'do you have a student discount?'",
    "Rate the urgency of each hospital triage note on a scale of 1 (routine) to 5 "
    "(immediate), one number per note.\n"
    "a) 34M, sprained ankle playing football, can bear weight\n"
    "b) 71F, sudden slurred speech and weak right arm, started 40 minutes ago\n"
    "c) 8M, fever 38.5 for one day, drinking well\n"
    "d) 52M, crushing chest pain, sweating",
    "Classify these news headlines by topic (economy, health, sport, technology, "
    "environment):\n- Central bank holds rates for third month\n- Drought cuts wheat "
    "yields across the plains\n- Local club wins cup after penalty shootout\n- New "
    "battery chemistry doubles phone life",
    "which of these expense lines are travel, meals, software or office supplies? taxi "
    "to airport 34.50, team lunch 112, annual notion licence 96, printer toner 58, "
    "hotel two nights 240",
    "Decide for each clause whether it favours the landlord, the tenant or neither.",
    "Here are ten customer comments from our feedback form. Tag each with one or more of: "
    "price, quality, delivery, service, website. Output a table.",
    "Is the tone of this email formal, neutral or casual? 'hey! just checking whether "
    "the files went through, no rush :)'",
    "Categorise each of these job titles into Engineering, Sales, Marketing, Finance or "
    "Operations: Account Executive, Data Engineer, Payroll Specialist, Growth Manager, "
    "Warehouse Supervisor, Site Reliability Engineer, Controller.",
    "For each sentence say whether it expresses a fact, an opinion or a prediction:\n"
    "'The bridge opened in 1932.' / 'It is the ugliest bridge in the country.' / 'Traffic "
    "on it will double by 2040.'",
    "Score these essay answers from 0 to 4 against the rubric I give below, with a "
    "one-line justification each.",
    "Which of these plants are edible, toxic or both depending on preparation? "
    "rhubarb (stalks and leaves), cassava, elderberry, foxglove, nettle.",
    "Classify the intent of each user utterance for our banking chatbot: check_balance, "
    "transfer_money, report_card_lost, open_account, other.\n'how much do I have left'\n"
    "'someone stole my wallet'\n'send 50 to Priya'\n'what are your branch hours'",
    "Tag each tweet as complaint, praise, question or other, and give me the counts at "
    "the end.\n"
    "'@brightair flight delayed 3 hrs and nobody at the desk. great.'\n"
    "'shoutout to the crew on BA218, so kind to my nervous kid'\n"
    "'@brightair can I bring a folding bike as hand luggage?'\n"
    "'airport sushi hits different at 6am'",
    "Assign a CEFR level (A1 to C2) to each of these learner sentences: 'I has two "
    "brother.' / 'Had I known about the strike, I would have taken the earlier train.' / "
    "'Yesterday I go to the cinema with my friends and we was happy.'",
    "Decide whether each transaction looks fraudulent or normal given the customer's "
    "usual pattern (small purchases in Lisbon), and explain briefly:\n1) 4.20 EUR "
    "bakery, Lisbon\n2) 1,890 EUR electronics, Singapore, 03:12\n3) 35 EUR "
    "pharmacy, Porto",
    "Label the sentiment of each product review towards the battery specifically, not "
    "the product overall.",
    "Put these animals into the right conservation status from the list I'll give: "
    "least concern, vulnerable, endangered, critically endangered.",
    "Classify each research abstract below by study design: randomised trial, cohort, "
    "case-control, cross-sectional, systematic review.\n"
    "1. We followed 5,400 nurses for 20 years and recorded incident diabetes by diet.\n"
    "2. Patients with rare liver tumours were compared with matched controls for past "
    "solvent exposure.\n"
    "3. We pooled 31 trials of vitamin D and fracture risk.\n"
    "4. A survey of 2,000 adults measured screen time and sleep quality in one week.",
    "Are these movie plot blurbs horror, comedy, drama or sci-fi? One word each.\n"
    "A: 'A retired astronaut picks up a signal from a probe launched before she was "
    "born.'\nB: 'Two rival wedding planners are booked for the same wedding.'\n"
    "C: 'The new family learns why the previous owners left the lake house in a hurry.'",
    "Rate how toxic each of these game chat messages is from 0 (fine) to 3 "
    "(ban-worthy): 'gg wp', 'uninstall the game you absolute clown', 'mid pls', "
    "'report our jungler he's afk', 'nice try, next round is ours'.",
    "Classify these emails as needing a reply today, this week, or no reply. Subjects "
    "and first lines are below.",
    "Spam or not? 'Hi Tom, the minutes from Tuesday are attached, see you Friday.'",
    "Group these survey answers to 'why did you cancel?' into the themes price, missing "
    "features, bugs, switched to competitor, no longer needed. One theme per answer.",
    "Classifique estas reseñas de restaurantes como positivas, negativas o mixtas:\n"
    "1. 'La comida estaba deliciosa pero el servicio fue lentísimo.'\n2. 'Volveremos "
    "sin duda.'\n3. 'Frío, caro y poco.'",
    "For each line of this log, is it an error, a warning or informational? Answer as "
    "'line number: level'.\n"
    "1 Started backup job nightly-full\n2 Disk /mnt/backup is 91% full\n"
    "3 Could not open snapshot vol-22: permission denied\n4 Backup finished in 42 min",
    "Which of these company names would a trademark examiner most likely see as "
    "descriptive, suggestive or arbitrary for a coffee shop: Fresh Brew, Ember & Oak, "
    "Morning Lift, Pelican?",
    "Mark each of these product listings as compliant or non-compliant with a rule "
    "that bans health claims, and quote the offending phrase.\n"
    "- 'Organic green tea, 100 bags, grown in Shizuoka'\n"
    "- 'Turmeric shots that cure joint pain in a week'\n"
    "- 'Ginger biscuits, vegan, no palm oil'\n"
    "- 'Mushroom coffee to boost your immune system'",
    "Bewerte die folgenden Kundenbewertungen auf einer Skala von 1 bis 5 und gib nur die "
    "Zahlen zurück:\n'Top Qualität, schnelle Lieferung.'\n'Ging nach einer Woche "
    "kaputt.'\n'Ganz okay für den Preis.'",
)

SUMMARIZATION = (
    "TL;DR this please: 'After three years of planning, the town council approved the "
    "new cycle lane on Bridge Street on Monday. Shop owners had objected that losing "
    "twelve parking spaces would hurt trade, but a survey found most customers arrive on "
    "foot or by bus. Work starts in May and should take ten weeks; a temporary lane "
    "will run along Canal Road meanwhile.'",
    "Shorten this product description to two lines for a mobile listing: 'Our Alpine "
    "thermos keeps drinks hot for 12 hours and cold for 24, thanks to double-walled "
    "vacuum steel. The leak-proof lid doubles as a cup, the powder coat resists "
    "scratches, and it fits most car cup holders. Available in five colours.'",
    "Summarise the following meeting notes into decisions, open questions and next "
    "steps:\n- Agreed to move the launch to 14 March because the payment provider "
    "needs more testing\n- Lena asked whether we need a French version at launch, no "
    "decision\n- Budget for ads raised to 8k\n- Tom to send the press kit to the "
    "agency by Friday\n- Still unclear who owns customer support in week one",
    "Give me the key points of this clinical guideline excerpt in plain language for a "
    "patient leaflet, five bullets max: 'Adults with uncomplicated lower back pain "
    "should be advised to stay active and continue normal activities as far as "
    "possible. Imaging is not routinely indicated in the absence of red-flag features. "
    "Non-steroidal anti-inflammatory drugs may be considered at the lowest effective "
    "dose for the shortest time. Opioids are not recommended for acute pain. Refer if "
    "symptoms persist beyond six weeks.'",
    "Condense this legal notice to one sentence a tenant would understand: 'Pursuant to "
    "clause 7.2 of the tenancy agreement, the landlord hereby gives notice that access "
    "to the premises will be required on 9 June between 09:00 and 13:00 for the purpose "
    "of carrying out the annual gas safety inspection as mandated by law.'",
    "Can you summarise this thread of emails between our supplier and us? I need to know "
    "what was agreed on price and delivery and what's still disputed.",
    "Write an abstract of no more than 120 words for the paper draft I'm pasting below.",
    "summarize in 3 bullets pls: 'Our Q3 support volume was up 22% on Q2, mostly "
    "password resets after the login change. Median first response time went from 2 "
    "hours to 5. Satisfaction held at 4.3/5. We hired two agents in September and "
    "expect response times to recover by November.'",
    "Boil this long customer review down to its pros and cons, one line each: 'I "
    "wanted to love this e-bike. The motor is smooth and strong on hills and the "
    "display is easy to read in sunlight. But the battery is heavy to carry up to my "
    "flat, the range is closer to 50 km than the advertised 80, and the kickstand "
    "wobbles. Customer service did replace the charger quickly when it failed.'",
    "Here is the transcript of a 40-minute podcast episode about urban beekeeping. "
    "Summarise it in one paragraph and list any practical tips mentioned.",
    "Give a one-line summary of each chapter from these chapter synopses, keeping the "
    "numbering:\nCh 1: Ada inherits her aunt's failing bookshop in a seaside town and "
    "finds a locked ledger.\nCh 2: A developer offers to buy the building; the ledger "
    "reveals debts to half the town.\nCh 3: Ada organises a reading festival to win "
    "the town over.",
    "Summarise this incident report for the management team: what happened, impact, root "
    "cause and fixes. 'At 02:14 UTC the primary database ran out of disk after a "
    "logging change wrote debug output to the data volume. Writes failed for 37 "
    "minutes; about 1,900 orders were delayed, none lost. On-call freed space and "
    "rolled back the change. We will add disk alerts at 80% and separate the log "
    "volume.'",
    "I'm pasting the terms of service of an app. What are the five things I should "
    "actually know, in short bullets?",
    "Make this paragraph half as long without losing any of the numbers: 'The museum "
    "welcomed 412,000 visitors last year, up from 365,000, helped by the new dinosaur "
    "hall which alone drew 150,000. Ticket revenue reached 3.1 million, while the "
    "cafe and shop added another 900,000. Membership grew to 8,200 households.'",
    "Resume en dos frases este artículo sobre la sequía en el sur de España que pego a "
    "continuación.",
    "Summarise the plot of the short story I wrote below in 50 words, for the back of "
    "a zine.",
    "Give me a TL;DR of this GitHub issue discussion: what's the bug, what did the "
    "maintainers decide, and is there a workaround?\n"
    "user1: exporting a chart to SVG drops the legend since 4.2\n"
    "maintainer: confirmed, the legend renderer skips SVG when the font isn't embedded\n"
    "user2: setting embedFonts: true brings it back for me\n"
    "maintainer: we'll fix it in 4.2.3, not backporting to 4.1",
    "Reduce these lecture notes on plate tectonics to a one-page revision sheet with "
    "headings and bullet points.",
    "Summarise the main arguments on each side of this debate transcript in a two-column "
    "table.",
    "Here's a Slack thread about whether to switch our office coffee supplier. "
    "Summarise who wants what and the final decision, if any.\n"
    "Priya: the new roaster is 20% cheaper and delivers weekly\n"
    "Jonas: their beans were way too dark when we tried the sample\n"
    "Mei: can we keep the current one for the espresso machine and use the new one for "
    "filter?\nPriya: fine by me, I'll trial that for a month\n"
    "Jonas: ok as long as we review it in March",
    "Sum up this city budget press release for a local news brief of about 60 words: "
    "'The city will spend 42 million on road repairs next year, 8% more than this year. "
    "Libraries get an extra 1.2 million to extend weekend hours. Parking fees rise by "
    "20 cents an hour from April. Property tax stays unchanged for the fourth year.'",
    "Write the executive summary for this 12-page market research report, half a page at "
    "most.",
    "Fasse diesen Artikel über Wärmepumpen in drei Stichpunkten zusammen.",
    "Summarise what each reviewer said about the hotel, one sentence per reviewer, "
    "then an overall verdict in one line.\n"
    "R1: Lovely sea view, but the walls are paper thin.\n"
    "R2: Breakfast was the highlight, staff remembered our names.\n"
    "R3: Room smelled of damp and the lift was broken for two days.\n"
    "R4: Great location for the old town, parking is a nightmare.",
    "Give me the gist of this court ruling in plain English: who sued whom, over what, "
    "and who won.",
    "Summarise these patch notes for players who only care about balance changes:\n"
    "- Fixed crash when alt-tabbing\n- Archer base damage 42 -> 38\n- Knight armour "
    "+5\n- New skin for the Mage\n- Healer cooldown 12s -> 10s\n- Improved "
    "matchmaking in low-population regions",
    "Shorten my cover letter to 150 words; keep the part about the warehouse project.",
    "Summarise the minutes of the parents' association meeting below for the school "
    "newsletter, under 100 words. 'Present: 14 parents, the head teacher. The summer "
    "fair raised 2,340, to be spent on new library books and a bench for the "
    "playground. Concerns were raised about parking at drop-off; the head will ask the "
    "council about a crossing warden. Next meeting 3 October, volunteers wanted for "
    "the autumn disco.'",
    "Condense this earnings call transcript into the five most important things the CEO "
    "said about next year.",
    "Key takeaways from this safety data sheet, as a short list for warehouse staff: "
    "'Product: industrial degreaser. Flammable liquid and vapour. Causes serious eye "
    "irritation. Keep away from heat and sparks. Wear nitrile gloves and goggles. "
    "Store below 30 C in a ventilated area. In case of contact with eyes rinse for "
    "15 minutes. Do not pour into drains.'",
)

TRANSLATION = (
    "Translate into German, formal register: 'We regret to inform you that your "
    "application was not successful this time, but we will keep your details on file.'",
    "how do you say 'the bill, please' in Italian and in Greek",
    "Translate this recipe step into French: 'Fold the egg whites gently into the "
    "chocolate so they keep their air.'",
    "What's the Japanese word for 'umbrella', and how is it written in kanji and kana?",
    "Please translate the following customer message from Portuguese into English: "
    "'Olá, comprei um casaco na semana passada e ainda não recebi o código de "
    "rastreamento. Podem verificar?'",
    "Translate these UI strings into Spanish (Latin America), keeping the placeholders "
    "unchanged:\n'Welcome back, {name}!'\n'You have {count} unread messages'\n"
    "'Log out'\n'Save changes?'",
    "Render this short poem in English, keeping the rhyme if you can: 'Der Mond ist "
    "aufgegangen, die goldnen Sternlein prangen am Himmel hell und klar.'",
    "Translate to Korean: 'Could you recommend a good restaurant near the station?'",
    "What does the Dutch word 'gezellig' mean in English? Is there an exact equivalent?",
    "Translate my out-of-office reply into French and Spanish: 'I'm away until 14 "
    "August with limited access to email. For urgent matters contact Sam at "
    "support@example.org.'",
    "Traduis en anglais ce paragraphe d'un contrat: 'Le présent accord prend effet à la "
    "date de sa signature et restera en vigueur pendant une durée de deux ans.'",
    "Translate this Chinese product label into English: 保质期十二个月。请存放于阴凉干燥处。",
    "Translate the following Swedish email from my landlord into English: 'Hej! "
    "Vattnet kommer att vara avstängt på torsdag mellan 9 och 12 på grund av "
    "reparationer. Mvh, Anders'",
    "In Brazilian Portuguese, what's the natural way to say 'no worries, take your "
    "time'?",
    "Translate this paragraph from a museum guide into simple English for children: "
    "'Dieses Schwert wurde im 14. Jahrhundert in Passau geschmiedet und gehörte "
    "vermutlich einem Ritter.'",
    "Translate the lyrics of this Turkish folk song verse into English, line by line.",
    "Übersetze bitte ins Englische: 'Wir freuen uns auf die Zusammenarbeit und melden "
    "uns nächste Woche mit einem Angebot.'",
    "Give me the Arabic for 'hospital', 'pharmacy' and 'emergency', with transliteration.",
    "Translate this medical instruction into Polish so a patient can follow it: 'Take one "
    "tablet every eight hours with food. Do not drink alcohol.'",
    "Translate the following sentence into Hindi and then back into English so I can "
    "check it: 'The train to Jaipur leaves at half past six from platform four.'",
)
