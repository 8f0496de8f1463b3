"""SayPro messaging under load: users, agents and open sockets, as the website and the
console drive the API (docs/website.md, docs/admins.md).

Run it with infra/load.sh (headless, CSV in target/, a p50/p99 table, non-zero exit on
any failed request); by hand:

    .venv/bin/locust -f infra/load/locustfile.py --headless -u 20 -r 10 --run-time 30s \
        --host http://127.0.0.1:3990 --tokens target/load-tokens.json

The mix (each request is named by its route template, so Locust's stats group per
operation; the method is the Type column):

* Users (every Locust user not below), a page view every 2 to 8 s: the inbox
  (GET /v1/conversations, with the launcher's unread badge), opening a conversation
  (GET /v1/conversations/{id} and its messages, then marking it read), writing in one,
  writing to a listing's seller as the widget's Message seller does (the listing, the
  buyer's thread about it, POST /v1/conversations type direct), and writing to support
  (type support, a category). Every create carries an Idempotency-Key; now and then a
  message is sent again with the same key, as a client whose answer was lost does, and
  must come back as the same message.
* Agents (--agents, default 3), every 3 to 10 s: the queue (GET /v1/admin/conversations),
  opening one of the load test's own conversations and its messages, and replying
  (POST /v1/admin/conversations/{id}/replies; one reply in four resolves). They never
  answer a conversation the load test did not start, so a stage's real queue is only read.
* Sockets (--sockets, default 5): a ticket (POST /v1/realtime/tickets), the socket at its
  url held open for the whole run, and {"action":"ping"} every --ping-every seconds, its
  {"type":"pong"} timed as a request ("WS" in the stats). Pushes that arrive in between are
  counted and printed at the end.

Pacing: the abuse filter allows a sender 10 messages a minute and 120 an hour, and a
listing 30 new buyer-seller conversations an hour (docs/moderators.md#the-abuse-filter).
Each user keeps under --sends-per-minute and --sends-per-hour (by its token's sub, shared
by Locust users that share a token) and each listing under 25 new conversations an hour,
reading instead of writing when a send would go over. So no status is expected but 2xx:
any other answer (a 429 included), a message held by the filter (202), a socket that
closes or a pong that does not come is a failure.

Tokens: a JSON file (--tokens, or SAYPRO_LOAD_TOKENS):
    {"service": "<jwt of the website's backend, group service>",
     "users":  [{"sub": "...", "token": "<jwt>"}, ...],
     "agents": [{"sub": "...", "token": "<jwt>", "teams": ["support"]}, ...]}
infra/load/dev_tokens.py writes one for the dev server. Listings: with "service" the
test registers --listing-count active listings (PUT /v1/listings, 100 a call) sold by
its own users, and sets them inactive when it stops; or name existing active ones with
--listings L-1001,L-1002,L-1003 (then "service" is not needed).
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import random
import time
import uuid

import requests
import websocket
from locust import FastHttpUser, between, events, task

log = logging.getLogger("saypro-load")

CATEGORIES = ["general", "general", "complaint", "technical", "payment", "account"]
BUYER_LINES = [
    "Is it still available?",
    "Would you take a lower offer?",
    "Can I come and see it on Saturday morning?",
    "Does the price include delivery to Durban?",
    "How old is it, and is there a receipt?",
    "Is the service history complete?",
]
REPLY_LINES = [
    "Yes, still available.",
    "Thanks, I will let you know tomorrow.",
    "Saturday works, around ten.",
    "The price is firm, sorry.",
    "I can send more photos tonight.",
]
SUPPORT_LINES = {
    "general": ("Renewing my ad", "How do I renew my ad before it expires?"),
    "complaint": ("A problem with an ad", "This ad looks like a scam, the seller asks for a deposit first."),
    "technical": ("Photos will not upload", "The upload stops at 90% on my phone."),
    "payment": ("Charged twice", "I paid twice for one featured ad this morning."),
    "account": ("Cannot sign in", "My password reset email never arrives."),
}
AGENT_LINES = [
    "Thanks for letting us know, we are looking into it.",
    "Open My Ads and choose Renew.",
    "We have refunded the second payment; it shows in 3 to 5 days.",
    "Please try again now, it should work.",
]


@events.init_command_line_parser.add_listener
def _options(parser):
    group = parser.add_argument_group("SayPro load test")
    group.add_argument("--tokens", env_var="SAYPRO_LOAD_TOKENS", default="target/load-tokens.json",
                       help="JSON file of tokens: service, users, agents (see the locustfile)")
    group.add_argument("--listings", env_var="SAYPRO_LOAD_LISTINGS", default="",
                       help="comma-separated active listings to write about, instead of registering")
    group.add_argument("--listing-count", type=int, env_var="SAYPRO_LOAD_LISTING_COUNT", default=100,
                       help="listings to register with the service token (each takes 25 new conversations an hour)")
    group.add_argument("--agents", type=int, env_var="SAYPRO_LOAD_AGENTS", default=3,
                       help="Locust users that are agents working the queue")
    group.add_argument("--sockets", type=int, env_var="SAYPRO_LOAD_SOCKETS", default=5,
                       help="Locust users that hold a socket open and ping it")
    group.add_argument("--ping-every", type=float, env_var="SAYPRO_LOAD_PING_EVERY", default=5.0,
                       help="seconds between a socket's pings")
    group.add_argument("--sends-per-minute", type=int, default=6,
                       help="messages a user sends at most a minute (the filter allows 10; 4 for accounts under 7 days)")
    group.add_argument("--sends-per-hour", type=int, default=100,
                       help="messages a user sends at most an hour (the filter allows 120; 30 for accounts under 7 days)")


class Shared:
    """What every Locust user of this process reads: tokens, listings, pacing."""

    users: list[dict] = []
    agents: list[dict] = []
    service: str | None = None
    user_subs: set[str] = set()
    listings: list[dict] = []  # {"id", "seller_id" (None when not ours)}
    registered: list[dict] = []  # the listings this run registered (set inactive at the end)
    sends: dict[str, collections.deque] = collections.defaultdict(collections.deque)
    new_threads: dict[str, collections.deque] = collections.defaultdict(collections.deque)
    started: set[tuple[str, str]] = set()
    socket_events: collections.Counter = collections.Counter()
    user_cycle = None
    socket_cycle = None
    agent_cycle = None
    options = None

    @classmethod
    def _recent(cls, stamps, window):
        now = time.monotonic()
        while stamps and now - stamps[0] > window:
            stamps.popleft()
        return stamps

    @classmethod
    def may_send(cls, sub):
        stamps = cls._recent(cls.sends[sub], 3600)
        last_minute = sum(1 for s in stamps if time.monotonic() - s < 60)
        return last_minute < cls.options.sends_per_minute and len(stamps) < cls.options.sends_per_hour

    @classmethod
    def sent(cls, sub):
        cls.sends[sub].append(time.monotonic())

    @classmethod
    def listing_for(cls, buyer):
        """A listing the buyer may start a thread about without going over its hourly limit."""
        candidates = [l for l in cls.listings if l["seller_id"] != buyer]
        random.shuffle(candidates)
        for listing in candidates:
            if (buyer, listing["id"]) in cls.started:
                return listing  # resumes the buyer's thread: not a new conversation
            if len(cls._recent(cls.new_threads[listing["id"]], 3600)) < 25:
                return listing
        return None


@events.init.add_listener
def _init(environment, **_kwargs):
    options = environment.parsed_options
    if options is None:
        return
    Shared.options = options
    with open(options.tokens) as f:
        tokens = json.load(f)
    Shared.users = tokens.get("users", [])
    Shared.agents = tokens.get("agents", [])
    Shared.service = tokens.get("service")
    if not Shared.users:
        raise SystemExit(f"{options.tokens}: no user tokens")
    Shared.user_subs = {u["sub"] for u in Shared.users}
    Shared.user_cycle = itertools.cycle(Shared.users)
    Shared.socket_cycle = itertools.cycle(Shared.users)
    Shared.agent_cycle = itertools.cycle(Shared.agents) if Shared.agents else None
    AgentUser.fixed_count = options.agents if Shared.agents else 0
    SocketUser.fixed_count = options.sockets
    for cls in (AgentUser, SocketUser):
        if cls.fixed_count == 0:
            environment.user_classes.remove(cls)
            environment.user_classes_by_name.pop(cls.__name__, None)
    if options.listings:
        Shared.listings = [{"id": i.strip(), "seller_id": None} for i in options.listings.split(",") if i.strip()]
    elif not Shared.service:
        raise SystemExit(f"{options.tokens}: no service token to register listings with, and no --listings")


def _fire(environment, request_type, name, started, length=0, exception=None):
    environment.events.request.fire(
        request_type=request_type, name=name, response_time=(time.perf_counter() - started) * 1000,
        response_length=length, exception=exception, context={})


def _put_listings(environment, items, name):
    """PUT /v1/listings, 100 a call, each one reported as a request."""
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        started = time.perf_counter()
        error = None
        try:
            r = requests.put(f"{environment.host}/v1/listings", json={"items": batch}, timeout=60,
                             headers={"Authorization": f"Bearer {Shared.service}"})
            if r.status_code != 200:
                error = Exception(f"{r.status_code} {r.text[:200]}")
            else:
                refused = [x for x in r.json()["results"] if x["outcome"] == "refused"]
                if refused:
                    error = Exception(f"refused: {refused[0]}")
        except requests.RequestException as e:
            error = e
        _fire(environment, "PUT", name, started, exception=error)
        if error:
            return False
    return True


@events.test_start.add_listener
def _register_listings(environment, **_kwargs):
    if Shared.listings or Shared.options is None:
        return
    run = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    sellers = [u["sub"] for u in Shared.users]
    items = [{"id": f"LOAD-{run}-{i:04d}", "title": f"Load test listing {i}", "seller_id": sellers[i % len(sellers)],
              "category": random.choice(["vehicles", "property", "electronics", "furniture"]),
              "location": random.choice(["Durban", "Cape Town", "Johannesburg", "Gqeberha"]), "status": "active"}
             for i in range(Shared.options.listing_count)]
    if not _put_listings(environment, items, "/v1/listings (setup)"):
        log.error("registering the listings failed: stopping")
        environment.process_exit_code = 1
        environment.runner.quit()
        return
    Shared.registered = items
    Shared.listings = [{"id": i["id"], "seller_id": i["seller_id"]} for i in items]
    log.info("registered %d listings %s-*", len(items), f"LOAD-{run}")


@events.test_stop.add_listener
def _retire_listings(environment, **_kwargs):
    if Shared.registered:
        # The test's own listings set inactive; Locust may have written its CSV already, so a
        # failure here also makes the exit code non-zero.
        if not _put_listings(environment, [dict(i, status="inactive") for i in Shared.registered],
                             "/v1/listings (cleanup)"):
            log.error("setting the test's listings inactive failed")
            environment.process_exit_code = 1
        Shared.registered = []
    if Shared.socket_events:
        log.info("pushes received on the sockets: %s", dict(Shared.socket_events))


def _tag():
    return uuid.uuid4().hex[:6]


class Api(FastHttpUser):
    """Requests named by route template; anything but the expected status is a failure."""

    abstract = True
    network_timeout = 30.0
    connection_timeout = 30.0

    def call(self, method, path, name, expect=(200,), key=None, check=None, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        with self.client.request(method, path, name=name, headers=headers, catch_response=True, **kwargs) as r:
            if r.status_code not in expect:
                try:
                    error = r.json()["error"]
                    why = f"{r.status_code} {error['code']}: {error['message']}"
                except Exception:
                    why = f"{r.status_code} {(r.text or '')[:200]}"
                r.failure(why)
                return None
            if not r.content:
                return {}
            try:
                data = r.json()
            except ValueError:
                r.failure(f"{r.status_code}: not JSON")
                return None
            why = check(data) if check else None
            if why:
                r.failure(why)
                return None
            return data


class WebsiteUser(Api):
    """A signed-in buyer or seller using the widget."""

    weight = 1
    wait_time = between(2, 8)

    def on_start(self):
        user = next(Shared.user_cycle)
        self.sub, self.token = user["sub"], user["token"]
        self.inbox = []
        self.open_inbox()

    def open_inbox(self):
        page = self.call("GET", "/v1/conversations?limit=20", "/v1/conversations")
        self.call("GET", "/v1/notifications/unread-counts", "/v1/notifications/unread-counts")
        if page is not None:
            self.inbox = [c for c in page["items"] if c["status"] != "merged"]

    def post_message(self, conversation_id, body):
        key = str(uuid.uuid4())
        path = f"/v1/conversations/{conversation_id}/messages"
        message = self.call("POST", path, "/v1/conversations/{id}/messages", expect=(201,), key=key,
                            json={"body": body})
        Shared.sent(self.sub)
        if message and random.random() < 0.1:
            # The client's answer was lost: the same key again must be the same message.
            self.call("POST", path, "/v1/conversations/{id}/messages (same key)", expect=(200, 201), key=key,
                      json={"body": body},
                      check=lambda again: None if again.get("id") == message.get("id")
                      else "a retry with the same Idempotency-Key made a new message")
        return message

    @task(4)
    def inbox(self):
        self.open_inbox()

    @task(4)
    def read_conversation(self):
        if not self.inbox:
            return self.open_inbox()
        conversation = random.choice(self.inbox)
        cid = conversation["id"]
        self.call("GET", f"/v1/conversations/{cid}", "/v1/conversations/{id}")
        page = self.call("GET", f"/v1/conversations/{cid}/messages?order=desc&limit=20",
                         "/v1/conversations/{id}/messages")
        if page and page["items"]:
            self.call("POST", f"/v1/conversations/{cid}/read", "/v1/conversations/{id}/read", expect=(204,),
                      json={"message_id": page["items"][0]["id"]})

    @task(2)
    def write_in_conversation(self):
        if not self.inbox or not Shared.may_send(self.sub):
            return self.open_inbox()
        conversation = random.choice(self.inbox)
        lines = REPLY_LINES if conversation.get("created_by") != self.sub else BUYER_LINES
        self.post_message(conversation["id"], f"{random.choice(lines)} ({_tag()})")

    @task(1)
    def message_seller(self):
        listing = Shared.listing_for(self.sub)
        if listing is None or not Shared.may_send(self.sub):
            return self.open_inbox()
        lid = listing["id"]
        self.call("GET", f"/v1/listings/{lid}", "/v1/listings/{id}")
        self.call("GET", f"/v1/conversations?listing_id={lid}&type=direct", "/v1/conversations?listing_id")
        started = self.call("POST", "/v1/conversations", "/v1/conversations (direct)", expect=(200, 201),
                            key=str(uuid.uuid4()),
                            json={"type": "direct", "listing_id": lid, "body": f"{random.choice(BUYER_LINES)} ({_tag()})"})
        Shared.sent(self.sub)
        if started:
            if (self.sub, lid) not in Shared.started:
                Shared.started.add((self.sub, lid))
                Shared.new_threads[lid].append(time.monotonic())
            self.inbox.insert(0, started["conversation"])

    @task(1)
    def contact_support(self):
        if not Shared.may_send(self.sub):
            return self.open_inbox()
        category = random.choice(CATEGORIES)
        subject, body = SUPPORT_LINES[category]
        started = self.call("POST", "/v1/conversations", "/v1/conversations (support)", expect=(201,),
                            key=str(uuid.uuid4()),
                            json={"type": "support", "category": category, "subject": f"{subject} ({_tag()})",
                                  "body": f"{body} ({_tag()})"})
        Shared.sent(self.sub)
        if started:
            self.inbox.insert(0, started["conversation"])


class AgentUser(Api):
    """An agent in the console: the queue, a conversation, a reply."""

    fixed_count = 3
    wait_time = between(3, 10)

    def on_start(self):
        agent = next(Shared.agent_cycle)
        self.sub, self.token = agent["sub"], agent["token"]
        self.queue = []
        self.work_queue()

    @task(3)
    def work_queue(self):
        query = random.choice(["sort=due", "sort=due", "sort=recent", "assignee=none"])
        page = self.call("GET", f"/v1/admin/conversations?{query}&limit=50", "/v1/admin/conversations")
        if page is not None:
            # Only what the load test started: a stage's real conversations are read, never answered.
            self.queue = [c for c in page["items"] if c.get("created_by") in Shared.user_subs]

    @task(3)
    def answer_one(self):
        if not self.queue:
            return self.work_queue()
        conversation = self.queue.pop(random.randrange(len(self.queue)))
        cid = conversation["id"]
        self.call("GET", f"/v1/admin/conversations/{cid}", "/v1/admin/conversations/{id}")
        self.call("GET", f"/v1/admin/conversations/{cid}/messages", "/v1/admin/conversations/{id}/messages")
        reply = {"body": f"{random.choice(AGENT_LINES)} ({_tag()})"}
        if random.random() < 0.25:
            reply["status"] = "resolved"
        self.call("POST", f"/v1/admin/conversations/{cid}/replies", "/v1/admin/conversations/{id}/replies",
                  expect=(201,), key=str(uuid.uuid4()), json=reply)


class SocketUser(Api):
    """The widget or console left open: one socket, pinged."""

    fixed_count = 5

    def wait_time(self):
        return Shared.options.ping_every

    def on_start(self):
        user = next(Shared.socket_cycle)
        self.sub, self.token = user["sub"], user["token"]
        self.ws = None
        self.connect()

    def connect(self):
        ticket = self.call("POST", "/v1/realtime/tickets", "/v1/realtime/tickets", expect=(201,))
        if not ticket:
            return
        started = time.perf_counter()
        try:
            self.ws = websocket.create_connection(ticket["url"], timeout=10)
            _fire(self.environment, "WS", "/v1/realtime (open)", started)
        except Exception as e:  # refused upgrade, timeout, reset
            self.ws = None
            _fire(self.environment, "WS", "/v1/realtime (open)", started, exception=e)

    @task
    def ping(self):
        if self.ws is None:
            return self.connect()
        started = time.perf_counter()
        try:
            self.ws.send(json.dumps({"action": "ping"}))
            while True:
                frame = json.loads(self.ws.recv())
                if frame.get("type") == "pong":
                    break
                Shared.socket_events[frame.get("type", "?")] += 1
            _fire(self.environment, "WS", "/v1/realtime ping -> pong", started)
        except Exception as e:  # closed, timed out, not JSON
            _fire(self.environment, "WS", "/v1/realtime ping -> pong", started, exception=e)
            self.close()

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
            self.ws = None

    def on_stop(self):
        self.close()
