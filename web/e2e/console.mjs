// The console's browser tests, as agents, moderators, seniors, managers and finance use it.
// Screenshots go to target/console-*.png; the page's weight and the queue's largest
// contentful paint are printed (measured, not asserted).
import { spawn } from "node:child_process";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import assert from "node:assert/strict";
import { accessible, api, base, local, run, shots, signInAs, test, token } from "./harness.mjs";

test("an agent signs in with a pasted token, answers a new conversation, and the user sees it", async (page) => {
  const user = token("e2e-thandi");
  const created = await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "general",
    subject: `Renewing my bakkie ad ${run}`,
    listing_id: "L-1001",
    body: `How do I renew my ad? (${run})`,
  });
  const id = created.conversation.id;
  await api("POST", "/v1/admin/templates", token("e2e-max", ["manager"]), {
    name: `Renew ${run}`,
    body: "Open My Ads and choose Renew, {{ user.first_name }}.",
  });
  await page.goto(`${base}/console/`);
  await accessible(page, "sign-in");
  await page.screenshot({ path: `${shots}console-sign-in.png`, fullPage: true });
  await page.getByLabel("Token").fill(token("e2e-sam", ["agent", "team-support"]));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const row = page.getByRole("link", { name: `Renewing my bakkie ad ${run}` });
  await page.getByRole("table").waitFor();
  // The newest is due last: page on until it shows.
  while (!(await row.isVisible())) {
    const shown = await page.getByRole("row").count();
    await page.getByRole("button", { name: "Show more" }).click();
    await page.waitForFunction((n) => document.querySelectorAll("tr").length > n, shown);
  }
  await accessible(page, "queue");
  await page.screenshot({ path: `${shots}console-queue.png`, fullPage: true });
  await row.click();
  await page.getByText(`How do I renew my ad? (${run})`).waitFor();
  await page.getByRole("heading", { name: "The listing" }).waitFor();
  // "/" opens the templates; typing filters them; Enter previews the highlighted one.
  await page.getByLabel("Reply").fill(`/${run}`);
  await page.getByRole("option", { name: new RegExp(`Renew ${run}`) }).waitFor();
  await page.getByLabel("Reply").press("Enter");
  // Previewed with this conversation's values, as it will be sent.
  await page.locator(".chosen").getByText("Open My Ads and choose Renew, e2e-thandi.").waitFor();
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByRole("list", { name: "Messages" }).getByText("Open My Ads and choose Renew, e2e-thandi.").waitFor();
  await accessible(page, "conversation");
  await page.screenshot({ path: `${shots}console-conversation.png`, fullPage: true });
  const seen = await api("GET", `/v1/conversations/${id}/messages`, user);
  assert.ok(
    seen.items.some((m) => m.body.startsWith("Open My Ads and choose Renew, e2e")),
    `the user's view has the reply: ${JSON.stringify(seen.items.map((m) => m.body))}`,
  );
  // Live: the user's next message appears without a reload.
  await api("POST", `/v1/conversations/${id}/messages`, user, { body: `Thanks, found it! (${run})` });
  await page.getByText(`Thanks, found it! (${run})`).waitFor({ timeout: 5_000 });
});

test("a photo a user sent is previewed, and offered for download", async (page) => {
  const user = token("e2e-palesa");
  // The first bytes of a PNG: what the API checks a file's type by.
  const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010802000000", "hex");
  const ticket = await api("POST", "/v1/attachments", user, { filename: "bakkie.png", content_type: "image/png", size: png.length });
  const put = await fetch(ticket.upload.url, { method: "PUT", headers: ticket.upload.headers, body: png });
  assert.ok(put.ok, `the upload: ${put.status}`);
  const created = await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "general",
    subject: `A photo ${run}`,
    body: `Is this photo all right? (${run})`,
  });
  await api("POST", `/v1/conversations/${created.conversation.id}/messages`, user, {
    body: `Here it is (${run})`,
    attachments: [ticket.id],
  });
  await signInAs(page, token("e2e-sam", ["agent", "team-support"]));
  await page.goto(`${base}/console/#/c/${created.conversation.id}`);
  await page.getByRole("img", { name: "bakkie.png (attached image)" }).waitFor();
  await page.getByRole("button", { name: /Download bakkie.png/ }).waitFor();
  await accessible(page, "attachments");
});

test("search from the top bar finds a conversation, its words marked", async (page) => {
  const user = token("e2e-sipho");
  await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "general",
    subject: `My listing photos ${run}`,
    body: `The photos of my Corolla${run} will not upload`,
  });
  await signInAs(page, token("e2e-sam", ["agent", "team-support"]));
  await page.getByLabel("Search conversations").fill(`COROLLA${run}`);
  await page.getByRole("button", { name: "Search" }).click();
  // Indexed from the stream within moments: search again until it is there.
  for (let tries = 0; ; tries += 1) {
    if (await page.locator("mark").count()) break;
    assert.ok(tries < 20, "the search never found the message");
    await page.waitForTimeout(250);
    await page.reload();
  }
  assert.equal(await page.locator("mark").first().textContent(), `Corolla${run}`);
  await page.getByRole("link", { name: `My listing photos ${run}` }).waitFor();
  await accessible(page, "search");
  await page.screenshot({ path: `${shots}console-search.png`, fullPage: true });
});

test("two admins on one conversation see each other and the typing; assigning; Seen", async (page) => {
  const user = token("e2e-naledi");
  const created = await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "general",
    subject: `Two admins at once ${run}`,
    body: `Can someone help? (${run})`,
  });
  const id = created.conversation.id;
  const signIn = async (p, bearer) => {
    await signInAs(p, bearer);
    await p.goto(`${base}/console/#/c/${id}`);
    await p.getByText(`Can someone help? (${run})`).waitFor();
  };
  await signIn(page, token("e2e-sam", ["agent", "team-support"]));
  const other = await page.context().browser().newContext();
  const sue = await other.newPage();
  await signIn(sue, token("e2e-sue", ["senior"]));
  await page.getByText("Also open by e2e-sue").waitFor();
  // Typing in the reply box waits on nothing: measured as the browser handles each key.
  const started = Date.now();
  await page.getByLabel("Reply").pressSequentially("x".repeat(100), { delay: 0 });
  console.log(`    typing in the reply box: ${((Date.now() - started) / 100).toFixed(1)} ms a keystroke (100 keys, the socket told at most every 3 s)`);
  await page.getByLabel("Reply").fill("");
  await sue.getByLabel("Reply").pressSequentially("On it");
  await page.getByText("e2e-sue is typing…").waitFor();
  await page.getByLabel("Assignee").selectOption({ label: "Me" });
  await page.getByLabel("Assignee").evaluate((select) => select.value === "e2e-sam" || Promise.reject("not assigned"));
  const admin = await api("GET", `/v1/admin/conversations/${id}`, token("e2e-sue", ["senior"]));
  assert.equal(admin.assignee, "e2e-sam");
  await page.getByLabel("Reply").fill(`Here to help (${run})`);
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByText(`Here to help (${run})`).waitFor();
  const messages = await api("GET", `/v1/conversations/${id}/messages`, user);
  const last = messages.items[messages.items.length - 1];
  await api("POST", `/v1/conversations/${id}/read`, user, { message_id: last.id });
  await page.getByText("Seen by the user").waitFor();
  await page.screenshot({ path: `${shots}console-two-admins.png`, fullPage: true });
  // Back in the queue, the row says Sue has it open.
  await page.getByRole("link", { name: "← Queue" }).click();
  await page.getByLabel("Status").selectOption("pending"); // answered: it waits on the user
  await page.getByRole("row").filter({ hasText: `Two admins at once ${run}` }).getByText("open by e2e-sue").waitFor();
  await other.close();
});

test("a moderator releases a held message, which then reaches the conversation", async (page) => {
  // A buyer asks about the demo seller's listing; the seller answers like a scammer.
  const user = token(`e2e-bheki-${run}`);
  const seller = token("pieter");
  const created = await api("POST", "/v1/conversations", user, {
    type: "direct",
    listing_id: "L-1001",
    body: `Is it still for sale? (${run})`,
  });
  const id = created.conversation.id;
  const held = await fetch(`${base}/v1/conversations/${id}/messages`, {
    method: "POST",
    headers: { Authorization: `Bearer ${seller}`, "Content-Type": "application/json" },
    body: JSON.stringify({ body: `I am away, pay a deposit first to hold it and my courier brings it ${run}` }),
  });
  assert.equal(held.status, 202, "the filter holds it");
  await signInAs(page, token("e2e-mpho", ["moderator"]));
  const item = page.getByRole("listitem").filter({ hasText: `my courier brings it ${run}` });
  await item.waitFor();
  await accessible(page, "held messages");
  await page.screenshot({ path: `${shots}console-held.png`, fullPage: true });
  await item.getByRole("button", { name: "Release" }).click();
  await item.waitFor({ state: "detached" });
  const messages = await api("GET", `/v1/conversations/${id}/messages`, user);
  assert.ok(messages.items.some((m) => m.body.endsWith(`my courier brings it ${run}`)), "released into the conversation");
  // Reading the thread takes a reason, and the read is in the audit log.
  await page.getByRole("link", { name: "Read a conversation" }).click();
  await page.getByLabel("Conversation id").fill(id);
  await page.getByLabel("Why (kept in the audit log)").fill(`checking ${run}`);
  await page.getByRole("button", { name: "Read" }).click();
  await page.getByText(`Is it still for sale? (${run})`).waitFor();
  await accessible(page, "moderator read");
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("cell", { name: "held.released" }).first().waitFor();
  await page.getByRole("cell", { name: `checking ${run}` }).waitFor();
});

test("a moderator blocks a user, whose messages are then refused, and unblocks them", async (page) => {
  const user = token(`e2e-spammer-${run}`);
  const created = await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "general",
    subject: `Spam ${run}`,
    body: `First (${run})`,
  });
  await signInAs(page, token("e2e-mpho", ["moderator"]));
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByLabel("User id").fill(`e2e-spammer-${run}`);
  await page.getByLabel("Why block them").fill("Repeated spam");
  await page.getByRole("button", { name: "Block", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "is blocked" }).waitFor();
  await accessible(page, "users");
  const refused = await fetch(`${base}/v1/conversations/${created.conversation.id}/messages`, {
    method: "POST",
    headers: { Authorization: `Bearer ${user}`, "Content-Type": "application/json" },
    body: JSON.stringify({ body: `Again (${run})` }),
  });
  assert.equal(refused.status, 403, "a blocked user's message is refused");
  await page.getByRole("button", { name: "Unblock" }).click();
  await page.getByRole("status").filter({ hasText: "may write again" }).waitFor();
  await api("POST", `/v1/conversations/${created.conversation.id}/messages`, user, { body: `Sorry (${run})` });
});

test("the safety policy: a stale save says so and keeps the edit; loading theirs, then saving, works", async (page, allow) => {
  allow(/status of 409/);
  const moderator = token("e2e-mpho", ["moderator"]);
  await signInAs(page, moderator);
  await page.getByRole("link", { name: "Safety policy" }).click();
  const box = page.getByLabel("Safety policy (JSON)");
  await box.waitFor();
  await page.waitForFunction(() => (document.querySelector("textarea")?.value ?? "").startsWith("{"));
  // Someone else saves first.
  const current = await api("GET", "/v1/admin/safety-policy", moderator);
  await api("PUT", "/v1/admin/safety-policy", moderator, current);
  const edited = JSON.parse(await box.inputValue());
  edited.rate_limits.per_minute = edited.rate_limits.per_minute + 1;
  await box.fill(JSON.stringify(edited, null, 2));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("alert").filter({ hasText: "newer version" }).waitFor();
  assert.equal(JSON.parse(await box.inputValue()).rate_limits.per_minute, edited.rate_limits.per_minute, "the edit is kept");
  await page.getByRole("button", { name: "Load theirs (discard my edit)" }).click();
  await page.waitForFunction((n) => JSON.parse(document.querySelector("textarea").value).rate_limits.per_minute !== n, edited.rate_limits.per_minute);
  await box.fill(JSON.stringify(edited, null, 2));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved as version" }).waitFor();
  await accessible(page, "safety policy");
  const saved = await api("GET", "/v1/admin/safety-policy", moderator);
  assert.equal(saved.policy.rate_limits.per_minute, edited.rate_limits.per_minute);
});

test("an SLA badge turns red once the SLA check finds the clock breached", async (page) => {
  const user = token("e2e-zanele");
  const subject = `Charged twice ${run}`;
  await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "payment",
    subject,
    body: `I was charged twice (${run})`,
  });
  await signInAs(page, token("e2e-sue", ["senior"]));
  const row = page.getByRole("row").filter({ hasText: subject });
  await row.getByText(/left$/).waitFor();
  // Urgent: 4 hours. The check, run as if 5 hours later, breaches and escalates it.
  const later = new Date(Date.now() + 5 * 3_600_000).toISOString();
  const check = await fetch(`${base}/local/sla-check`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ time: later }),
  });
  assert.ok(check.ok, `the SLA check: ${check.status}`);
  // The escalation's internal note reaches the socket: the row turns red without a reload.
  await row.locator(".badge.breached").waitFor();
  await page.screenshot({ path: `${shots}console-queue-breached.png`, fullPage: true });
});

test("keyboard: ? lists the shortcuts, e resolves and opens the next conversation", async (page) => {
  const user = token("e2e-kagiso");
  const first = await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "general",
    subject: `First of two ${run}`,
    body: `One (${run})`,
  });
  await signInAs(page, token("e2e-sam", ["agent", "team-support"]));
  await page.goto(`${base}/console/#/c/${first.conversation.id}`);
  await page.getByText(`One (${run})`).waitFor();
  await page.keyboard.press("?");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await accessible(page, "shortcuts");
  await page.keyboard.press("Escape");
  await page.keyboard.press("e");
  await page.waitForFunction((id) => !location.hash.endsWith(id), first.conversation.id);
  const resolved = await api("GET", `/v1/conversations/${first.conversation.id}`, user);
  assert.equal(resolved.status, "resolved");
});

/** The tests' own stand-in for Cognito's Hosted UI: authorize (approves at once, as if the
 *  person signed in) and token (code with PKCE, and refresh), its ID tokens signed the
 *  way the dev server verifies them. Records the grants it saw. */
function standInCognito(clientId, secret) {
  const codes = new Map();
  const grants = [];
  const b64 = (value) => Buffer.from(value).toString("base64url");
  const idToken = () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: "e2e-cognito-agent",
      name: "Cognito Agent",
      email: "agent@saypro.test",
      "cognito:groups": ["agent", "team-support"],
      aud: clientId,
      token_use: "id",
      iat: now,
      exp: now + 63, // refreshed a minute before it expires: within seconds here
    };
    const unsigned = `${b64(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64(JSON.stringify(claims))}`;
    return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url, "http://stand-in");
    if (url.pathname === "/oauth2/authorize") {
      const q = url.searchParams;
      assert.equal(q.get("client_id"), clientId);
      assert.equal(q.get("response_type"), "code");
      assert.equal(q.get("code_challenge_method"), "S256");
      const code = randomBytes(12).toString("hex");
      codes.set(code, { challenge: q.get("code_challenge"), redirect: q.get("redirect_uri") });
      response.writeHead(302, { Location: `${q.get("redirect_uri")}?code=${code}&state=${q.get("state")}` });
      return response.end();
    }
    if (url.pathname === "/oauth2/token" && request.method === "POST") {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        const form = new URLSearchParams(body);
        const headers = { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" };
        grants.push(form.get("grant_type"));
        let ok = form.get("client_id") === clientId;
        if (form.get("grant_type") === "authorization_code") {
          const pending = codes.get(form.get("code"));
          codes.delete(form.get("code"));
          const challenge = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
          ok = ok && pending && pending.challenge === challenge && pending.redirect === form.get("redirect_uri");
        } else ok = ok && form.get("refresh_token") === "stand-in-refresh";
        response.writeHead(ok ? 200 : 400, headers);
        response.end(
          ok
            ? JSON.stringify({ id_token: idToken(), access_token: "unused", refresh_token: "stand-in-refresh", expires_in: 63, token_type: "Bearer" })
            : JSON.stringify({ error: "invalid_grant" }),
        );
      });
      return;
    }
    response.writeHead(404).end();
  });
  return { server, grants };
}

test("on AWS: signing in through Cognito's Hosted UI with PKCE, the token refreshed before it expires", async (page) => {
  const cognito = standInCognito("console-e2e", process.env.SAYPRO_JWT_SECRET ?? "saypro-local-dev-secret");
  await new Promise((resolve) => cognito.server.listen(0, "127.0.0.1", resolve));
  const authPort = cognito.server.address().port;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(
    local,
    ["serve", "--memory", "--addr", `127.0.0.1:${port}`, "--console-dir", "dist/console",
      "--cognito-domain", `http://127.0.0.1:${authPort}`, "--cognito-client-id", "console-e2e"],
    { stdio: "ignore" },
  );
  try {
    const site = `http://127.0.0.1:${port}`;
    for (let tries = 0; ; tries += 1) {
      const up = await fetch(`${site}/openapi.json`).then((r) => r.ok, () => false);
      if (up) break;
      assert.ok(tries < 100, "the Cognito dev server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.goto(`${site}/console/`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Queue" }).waitFor();
    assert.equal(new URL(page.url()).search, "", "the code is not left in the address");
    await page.getByText("Cognito Agent").waitFor();
    // Issued for 63 seconds, refreshed a minute before: within a few seconds.
    for (let tries = 0; !cognito.grants.includes("refresh_token"); tries += 1) {
      assert.ok(tries < 50, `no refresh: ${cognito.grants}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(cognito.grants.slice(0, 2), ["authorization_code", "refresh_token"]);
    await page.getByRole("heading", { name: "Queue" }).waitFor();
  } finally {
    server.kill();
    cognito.server.close();
  }
});

test("the demo people sign in with one click; a user without an admin role sees nothing", async (page) => {
  await page.goto(`${base}/console/`);
  await page.getByRole("button", { name: /Sign in as Sam, support agent/ }).click();
  await page.getByRole("heading", { name: "Queue" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Token").fill(token("e2e-lerato"));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "No access" }).waitFor();
  assert.equal(await page.getByRole("table").count(), 0);
});

test("nothing typed in the reply box is lost when a send fails", async (page, allow) => {
  allow(/status of 400/);
  const user = token("e2e-ayanda");
  const created = await api("POST", "/v1/conversations", user, {
    type: "support",
    category: "general",
    subject: `A question that will be resolved ${run}`,
    body: `Is this the right place? (${run})`,
  });
  await signInAs(page, token("e2e-sam", ["agent", "team-support"]));
  await page.goto(`${base}/console/#/c/${created.conversation.id}`);
  await page.getByText(`Is this the right place? (${run})`).waitFor();
  // A reply past the 5,000-character limit is refused: the message says why, the text stays.
  const long = "x".repeat(5_001);
  await page.getByLabel("Reply").fill(long);
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByRole("alert").waitFor();
  assert.equal(await page.getByLabel("Reply").inputValue(), long);
});

/** `yyyy-mm` of the month before this one in South African time (the one the demo seeds). */
function lastMonth() {
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Africa/Johannesburg", year: "numeric", month: "2-digit" })
    .format(new Date())
    .split("-")
    .map(Number);
  const before = new Date(Date.UTC(year, month - 2, 1));
  return `${before.getUTCFullYear()}-${String(before.getUTCMonth() + 1).padStart(2, "0")}`;
}

test("a manager sees the dashboard, last month's report with its charts, and downloads its CSV", async (page) => {
  await signInAs(page, token("e2e-max", ["manager"]));
  await page.getByRole("link", { name: "Dashboard" }).click();
  const tiles = page.getByRole("list", { name: "Now" });
  await tiles.getByText("agents on duty").waitFor();
  await page.getByRole("table").getByRole("rowheader", { name: "support" }).waitFor();
  await accessible(page, "dashboard");
  await page.screenshot({ path: `${shots}console-dashboard.png`, fullPage: true });
  // Live: a new conversation moves the open count without a reload.
  const before = Number(await tiles.locator("li").first().locator("strong").textContent());
  await api("POST", "/v1/conversations", token("e2e-kagiso"), {
    type: "support",
    category: "general",
    subject: `Dashboard moves ${run}`,
    body: `Does the dashboard move? (${run})`,
  });
  await page.waitForFunction(
    (n) => Number(document.querySelector(".tiles li strong")?.textContent) > n,
    before,
    { timeout: 5_000 },
  );

  await page.getByRole("link", { name: "Monthly report" }).click();
  const month = lastMonth();
  await page.getByRole("heading", { name: new RegExp(`^${month} beside`) }).waitFor();
  const messages = await page.getByRole("row", { name: /^Messages/ }).getByRole("cell").first().textContent();
  assert.ok(Number(messages) > 0, `the seeded month has messages: ${messages}`);
  assert.ok((await page.locator("figure svg rect.bar").count()) > 20, "the charts have bars");
  await page.getByRole("table", { name: /Messages by weekday and hour/ }).waitFor();
  await page.getByRole("heading", { name: "By agent" }).waitFor();
  await accessible(page, "monthly report");
  await page.screenshot({ path: `${shots}console-report.png`, fullPage: true });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `saypro-messaging-${month}.csv`);
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(csv, /^section,name,metric,value/);
  assert.match(csv, /\nheadline,[^\n]*,messages,[1-9]/, "the CSV has the month's messages");
});

test("the SLA policy's warning percentage saved in the form; a second manager's stale save shows the conflict", async (page, allow) => {
  allow(/status of 409/);
  const max = token("e2e-max", ["manager"]);
  const open = async (p) => {
    await signInAs(p, max);
    await p.goto(`${base}/console/#/settings/sla`);
    await p.getByLabel("Warn the assignee at (% of the time used)").waitFor();
  };
  await open(page);
  const other = await page.context().browser().newContext();
  const second = await other.newPage();
  second.setDefaultTimeout(10_000);
  await open(second);
  const field = page.getByLabel("Warn the assignee at (% of the time used)");
  const next = Number(await field.inputValue()) === 70 ? 75 : 70;
  await field.fill(String(next));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved as version" }).waitFor();
  const saved = await api("GET", "/v1/admin/sla-policy", max);
  assert.equal(saved.policy.warn_at_percent, next, "the API's document has the form's value");
  await accessible(page, "SLA policy");
  await page.screenshot({ path: `${shots}console-sla-policy.png`, fullPage: true });
  // The second manager saved nothing since opening: their save is stale, their edit kept.
  const theirs = second.getByLabel("Escalate to a manager after the breach (minutes)");
  await theirs.fill("95");
  await second.getByRole("button", { name: "Save" }).click();
  await second.getByRole("alert").filter({ hasText: "newer version" }).waitFor();
  assert.equal(await theirs.inputValue(), "95", "the edit is kept");
  await second.screenshot({ path: `${shots}console-sla-conflict.png`, fullPage: true });
  await second.getByRole("button", { name: "Save mine over theirs" }).click();
  await second.getByRole("status").filter({ hasText: "Saved as version" }).waitFor();
  const both = await api("GET", "/v1/admin/sla-policy", max);
  assert.equal(both.policy.manager_after_minutes, 95);
  await other.close();
});

test("a senior sends a broadcast to a pasted list, seeing how many it reaches, and watches it finish", async (page) => {
  await signInAs(page, token("e2e-sue", ["senior"]));
  await page.getByRole("link", { name: "Broadcasts" }).click();
  await page.getByLabel("Subject").fill(`Maintenance on Sunday ${run}`);
  await page.getByLabel(/^Message/).fill("The site is down for maintenance on Sunday from 02:00 to 04:00.");
  await page.getByLabel("Who it goes to").selectOption("users");
  await page.getByLabel(/^User ids/).fill(`e2e-b1-${run}\ne2e-b2-${run}, e2e-b1-${run}`);
  await page.getByRole("status").filter({ hasText: "It will reach 2 users." }).waitFor();
  await accessible(page, "broadcasts");
  await page.getByRole("button", { name: "Send" }).click();
  const row = page.getByRole("row", { name: new RegExp(`Maintenance on Sunday ${run}`) });
  await row.getByRole("cell", { name: "sent", exact: true }).waitFor({ timeout: 15_000 });
  assert.equal(await row.getByRole("cell").nth(2).textContent(), "2", "delivered to both");
  await page.screenshot({ path: `${shots}console-broadcasts.png`, fullPage: true });
  const inbox = await api("GET", "/v1/notifications", token(`e2e-b2-${run}`));
  assert.ok(JSON.stringify(inbox).includes(`Maintenance on Sunday ${run}`), "the user has it in their inbox");
});

test("every settings page opens for a manager, accessible; a senior reads them without a Save", async (page) => {
  await signInAs(page, token("e2e-max", ["manager"]));
  await page.getByRole("link", { name: "Settings" }).click();
  const pages = [
    ["Agents", "agents"],
    ["Templates", "templates"],
    ["Routing rules", "routing"],
    ["SLA policy", "sla"],
    ["Automation", "automation"],
    ["Membership rules", "membership"],
    ["Webhooks", "webhooks"],
  ];
  for (const [name, shot] of pages) {
    await page.goto(`${base}/console/#/settings`);
    await page.getByRole("link", { name, exact: true }).click();
    await page.getByRole("heading", { name, level: 1 }).waitFor();
    await page.waitForLoadState("networkidle");
    await accessible(page, name);
    await page.screenshot({ path: `${shots}console-settings-${shot}.png`, fullPage: true });
  }
  // An agent's capacity, set in the directory, is what the API then has.
  await page.goto(`${base}/console/#/settings/agents`);
  const capacity = page.getByLabel("Capacity of Sam (support agent)");
  await capacity.fill("12");
  await capacity.press("Tab");
  await page.getByRole("status").filter({ hasText: "Sam (support agent): saved." }).waitFor();
  const agents = await api("GET", "/v1/admin/agents", token("e2e-max", ["manager"]));
  assert.equal(agents.items.find((a) => a.id === "agent-sam").capacity, 12);
  // A template's preview fills it with sample values.
  await page.goto(`${base}/console/#/settings/templates`);
  await page.getByRole("button", { name: "New template" }).click();
  await page.getByLabel("Name", { exact: true }).fill(`Renewal ${run}`);
  await page.getByLabel(/^Text/).fill("Hi {{user.first_name}}, your ad {{listing.title}} is renewed.");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("button", { name: `Edit Renewal ${run}` }).click();
  await page.getByRole("button", { name: "Preview with sample values" }).click();
  await page.getByRole("region", { name: "Preview" }).getByText(/^Hi \S+, your ad .+ is renewed\.$/).waitFor();

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInAs(page, token("e2e-sue", ["senior"]));
  await page.goto(`${base}/console/#/settings/routing`);
  await page.getByText("Only managers change these.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).count(), 0, "a senior has no Save");
  await page.goto(`${base}/console/#/settings`);
  assert.equal(await page.getByRole("link", { name: "Webhooks" }).count(), 0, "webhooks are managers' only");
});

test("finance sees the cost page and no other; an agent sees no managers' page", async (page) => {
  await signInAs(page, token("e2e-fiona", ["finance"]));
  await page.getByRole("heading", { name: "Cost" }).waitFor();
  const links = await page.getByRole("navigation", { name: "Pages" }).getByRole("link").allTextContents();
  assert.deepEqual(links, ["Cost"]);
  await page.getByText("projected for the month").waitFor();
  assert.ok((await page.locator("figure svg rect.bar").count()) > 20, "a bar a day");
  await accessible(page, "cost");
  await page.screenshot({ path: `${shots}console-cost.png`, fullPage: true });
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  assert.match(readFileSync(await download.path(), "utf8"), /^section,name,value\r\nservice,DynamoDB reads,/);
  for (const hash of ["#/settings/sla", "#/dashboard", "#/report", "#/broadcasts"]) {
    await page.goto(`${base}/console/${hash}`);
    await page.getByRole("heading", { name: "Cost" }).waitFor();
  }
  await page.getByRole("button", { name: "Sign out" }).click();
  await signInAs(page, token("e2e-sam", ["agent", "team-support"]));
  await page.getByRole("heading", { name: "Queue" }).waitFor();
  const agentLinks = await page.getByRole("navigation", { name: "Pages" }).getByRole("link").allTextContents();
  assert.deepEqual(agentLinks, ["Queue"]);
  for (const hash of ["#/settings", "#/settings/sla", "#/cost", "#/report", "#/broadcasts", "#/dashboard"]) {
    await page.goto(`${base}/console/${hash}`);
    await page.getByRole("heading", { name: "Queue" }).waitFor();
  }
});

test("weight and speed: the console's JavaScript gzipped, and the queue's largest contentful paint", async (page) => {
  page.setDefaultTimeout(60_000);
  const assets = new URL("../dist/console/assets/", import.meta.url);
  const kb = (f) => (gzipSync(readFileSync(new URL(f, assets))).length / 1024).toFixed(1);
  const js = readdirSync(assets).filter((f) => f.endsWith(".js"));
  const [managers, first] = [js.filter((f) => f.startsWith("managers-")), js.filter((f) => !f.startsWith("managers-"))];
  console.log(
    `    console JavaScript gzipped: ${first.map(kb).join(" + ")} KB on every page; the managers' pages ${managers.map(kb).join(" + ")} KB more, when opened`,
  );
  // A thousand open conversations in the queue (ten users at a time, each writing once).
  for (let batch = 0; batch < 100; batch += 1) {
    await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        api("POST", "/v1/conversations", token(`e2e-load-${run}-${batch}-${n}`), {
          type: "support",
          category: "general",
          subject: `Load ${batch * 10 + n}`,
          body: `Question number ${batch * 10 + n} (${run})`,
        }),
      ),
    );
  }
  await signInAs(page, token("e2e-sue", ["senior"]));
  await page.getByRole("heading", { name: "Queue" }).waitFor();
  const lcp = await page.evaluate(
    () =>
      new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const entries = list.getEntries();
          resolve(entries[entries.length - 1].startTime);
        }).observe({ type: "largest-contentful-paint", buffered: true });
      }),
  );
  console.log(
    `    the queue's largest contentful paint, 1,000 or more conversations open: ${Math.round(lcp)} ms after the page began loading`,
  );
});

