// The website widget's browser tests, on the dev server's demo classifieds site
// (/local/site/), which embeds it as docs/website.md says. Screenshots go to
// target/widget-*.png; the widget's weight is printed.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import assert from "node:assert/strict";
import { accessible, api, base, run, shots, test, token } from "./harness.mjs";

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
/** Where the widget draws: its launcher and panel, and the buttons on the page. */
const WIDGET = [["[data-saypro-messaging]"], ["[data-saypro-listing]"], ["[data-saypro-contact]"]];

/** Signs in on the demo site with a pasted token, then opens `path`. */
async function signInOnSite(page, bearer, path = "/local/site/") {
  await page.goto(`${base}/local/site/`);
  await page.getByLabel("Token").fill(bearer);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(`${base}/local/site/`);
  if (path !== "/local/site/") await page.goto(base + path);
}

test("widget: a buyer on a phone messages a seller, who answers live; Seen and the answer reach the buyer live", async (page) => {
  const buyer = await page.context().browser().newContext(PHONE);
  const phone = await buyer.newPage();
  phone.setDefaultTimeout(10_000);
  await signInOnSite(phone, token(`e2e-buyer-${run}`), "/local/site/listings/L-1002");
  await phone.getByRole("button", { name: "Message seller" }).click();
  await phone.getByText("Write to the seller of “3-bedroom house to rent in Soweto”.").waitFor();
  await phone.getByLabel("Your message").fill(`Is the house still available from January? (${run})`);
  await phone.getByRole("button", { name: "Send" }).click();
  const thread = phone.getByRole("list", { name: "3-bedroom house to rent in Soweto" });
  await thread.getByText(`Is the house still available from January? (${run})`).waitFor();
  await accessible(phone, "widget thread on a phone", WIDGET);

  // The seller, on a desktop: the launcher's count moves, the message is there.
  await signInOnSite(page, token("pieter"));
  const launcher = page.getByRole("button", { name: /^Messages/ });
  await launcher.click();
  await page.getByRole("button", { name: /3-bedroom house to rent in Soweto/ }).first().click();
  await page.getByText(`Is the house still available from January? (${run})`).waitFor();
  // The seller has read it: the buyer sees "Seen" under their message, live.
  await thread.getByText("Seen").waitFor({ timeout: 5_000 });
  await page.getByLabel("Your message").fill(`Yes, from the 1st. Want to view it on Saturday? (${run})`);
  await page.getByRole("button", { name: "Send" }).click();
  await thread.getByText(`Yes, from the 1st. Want to view it on Saturday? (${run})`).waitFor({ timeout: 5_000 });
  await phone.screenshot({ path: `${shots}widget-phone-thread.png` });
  await page.screenshot({ path: `${shots}widget-desktop-seller.png` });
  // The panel fills the phone's screen.
  const box = await phone.locator("[data-saypro-messaging] .panel").boundingBox();
  assert.ok(box && box.width >= 389 && box.height >= 800, `full screen on a phone: ${JSON.stringify(box)}`);
  await buyer.close();
});

test("widget: Contact admin opens a support conversation about the listing that an agent has in the queue", async (page) => {
  // Signed out, a button sends the visitor to the site's sign-in, and back after it.
  await page.goto(`${base}/local/site/listings/L-1001`);
  await page.getByRole("button", { name: "Contact admin" }).click();
  await page.waitForURL(`${base}/local/site/?next=%2Flocal%2Fsite%2Flistings%2FL-1001`);
  const user = `e2e-asker-${run}`;
  await signInOnSite(page, token(user), "/local/site/listings/L-1001");
  await page.getByRole("button", { name: "Contact admin" }).click();
  await page.getByRole("radio", { name: "Payment" }).check();
  const subject = page.getByLabel("Subject");
  assert.equal(await subject.inputValue(), "Toyota Corolla 1.6 2015, 120 000 km: Payment");
  await subject.fill(`Charged twice for featuring ${run}`);
  await page.getByLabel("Your message").fill("I paid R99 twice to feature this ad.");
  await accessible(page, "contact admin", WIDGET);
  await page.screenshot({ path: `${shots}widget-contact-admin.png` });
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByRole("list", { name: `Charged twice for featuring ${run}` }).getByText("I paid R99 twice").waitFor();
  const queue = await api("GET", "/v1/admin/conversations?team=billing&limit=100", token("e2e-bongi", ["agent", "team-billing"]));
  const found = queue.items.find((c) => c.subject === `Charged twice for featuring ${run}`);
  assert.ok(found, "in the billing team's queue");
  assert.equal(found.listing_id, "L-1001");
  assert.equal(found.category, "payment");

  // From the profile page: about the account, no listing.
  await page.goto(`${base}/local/site/profile`);
  await page.getByRole("button", { name: "Contact admin" }).click();
  assert.equal(await page.getByLabel("Subject").inputValue(), "My account");
});

test("widget: a photo is sent and shown; a held message and a rate limit are told as the API says", async (page, allow) => {
  allow(/status of 429/);
  // A new account (joined today): 4 messages a minute.
  const bearer = token(`e2e-newbie-${run}`, [], ["--joined-at", new Date().toISOString()]);
  await signInOnSite(page, bearer, "/local/site/listings/L-1003");
  await page.getByRole("button", { name: "Message seller" }).click();
  await page.getByLabel("Your message").fill(`Hi, is the phone still boxed? (${run})`);
  await page.getByRole("button", { name: "Send" }).click();
  const thread = page.getByRole("list", { name: /Samsung Galaxy S21/ });
  await thread.getByText(`Hi, is the phone still boxed? (${run})`).waitFor();
  // A 1×1 PNG (the API checks a file's type by its first bytes).
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  await page.getByLabel("Add photos or PDFs").setInputFiles({ name: "my-bakkie.png", mimeType: "image/png", buffer: png });
  await page.getByLabel("Your message").fill("Here is what I would trade.");
  await page.getByRole("button", { name: "Send" }).click();
  await thread.getByRole("img", { name: "my-bakkie.png" }).waitFor();
  // A web page is not a photo: refused before anything is sent.
  await page.getByLabel("Add photos or PDFs").setInputFiles({ name: "page.html", mimeType: "text/html", buffer: Buffer.from("<p>") });
  await page.getByRole("status").filter({ hasText: "page.html is not a photo" }).waitFor();

  await page.getByLabel("Your message").fill(`Pay a deposit first to hold it and my courier brings it ${run}`);
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByRole("status").filter({ hasText: "being checked by our team" }).waitFor();
  // Writing on, fast: the rate limit (4 a minute for a new account, 10 for others) stops
  // a message, and says when to try again.
  const limited = page.getByRole("status").filter({ hasText: /sending messages quickly\. Please wait \d+ seconds/ });
  for (let n = 1; !(await limited.isVisible()); n += 1) {
    assert.ok(n <= 11, "no rate limit after 11 messages in a minute");
    await page.getByLabel("Your message").fill(`One more question (${run})`);
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("button", { name: "Send" }).waitFor();
    await page.waitForFunction(() => true);
    await Promise.race([limited.waitFor(), thread.getByText(`One more question (${run})`).nth(n - 1).waitFor()]);
  }
  assert.equal(await page.getByLabel("Your message").inputValue(), `One more question (${run})`, "the text is kept to send later");
  await page.screenshot({ path: `${shots}widget-rate-limited.png` });
});

test("widget: the site's hostile stylesheet changes nothing inside; its weight", async (page) => {
  await signInOnSite(page, token(`e2e-looker-${run}`), "/local/site/listings/L-1001");
  const button = page.getByRole("button", { name: "Message seller" });
  await button.waitFor();
  const style = await button.evaluate((b) => {
    const s = getComputedStyle(b);
    return { background: s.backgroundColor, font: s.fontSize, family: s.fontFamily, spacing: s.letterSpacing };
  });
  assert.deepEqual(
    { background: style.background, font: style.font, spacing: style.spacing },
    { background: "rgb(11, 79, 179)", font: "16px", spacing: "normal" },
  );
  assert.ok(!style.family.includes("Comic"), style.family);
  const sitePurple = await page.getByRole("heading", { level: 1 }).evaluate((h) => getComputedStyle(h).color);
  assert.equal(sitePurple, "rgb(107, 15, 107)", "the site's own styles do apply to the site");
  await page.getByRole("button", { name: /^Messages/ }).click();
  await page.getByRole("dialog", { name: "Messages" }).waitFor();
  await accessible(page, "widget on a hostile page", WIDGET);
  await page.screenshot({ path: `${shots}widget-hostile-page.png` });
  const widget = readFileSync(new URL("../dist/widget/saypro-messaging.js", import.meta.url));
  console.log(`    widget JavaScript: ${(gzipSync(widget).length / 1024).toFixed(1)} KB gzipped (one file, styles inside)`);
});

test("widget: the user rates a resolved answer, reports a message, and searches their history", async (page, allow) => {
  // Not rated yet: the rating's GET is a 404, which is what offers the stars.
  allow(/status of 404/);
  const user = `e2e-rater-${run}`;
  const bearer = token(user);
  const asked = await api("POST", "/v1/conversations", bearer, {
    type: "support",
    category: "general",
    subject: `Renewing my Soweto ad ${run}`,
    body: "How do I renew my ad?",
  });
  await api("POST", `/v1/admin/conversations/${asked.conversation.id}/replies`, token("e2e-sam", ["agent", "team-support"]), {
    body: "Open My Ads and choose Renew.",
    status: "resolved",
  });
  const chat = await api("POST", "/v1/conversations", bearer, { type: "direct", listing_id: "L-1002", body: `Still available? (${run})` });
  await api("POST", `/v1/conversations/${chat.conversation.id}/messages`, token("pieter"), { body: `Send me your banking PIN first (${run})` });

  await signInOnSite(page, bearer);
  await page.getByRole("button", { name: /^Messages/ }).click();
  await page.getByRole("button", { name: new RegExp(`Renewing my Soweto ad ${run}`) }).click();
  await page.getByRole("radio", { name: "4 stars" }).check();
  await page.getByRole("button", { name: "Send" }).first().click();
  await page.getByRole("status").filter({ hasText: "Thanks for rating our answer." }).waitFor();
  const rating = await api("GET", `/v1/conversations/${asked.conversation.id}/rating`, bearer);
  assert.equal(rating.stars, 4);

  await page.getByRole("button", { name: "Back to your messages" }).click();
  await page.getByRole("button", { name: /3-bedroom house to rent in Soweto/ }).first().click();
  const theirs = page.getByRole("listitem").filter({ hasText: `Send me your banking PIN first (${run})` });
  await theirs.getByRole("button", { name: "Report" }).click();
  await theirs.getByLabel("Why are you reporting this message?").selectOption("scam");
  await theirs.getByRole("button", { name: "Report" }).last().click();
  await theirs.getByRole("status").filter({ hasText: "Our moderators will look at it." }).waitFor();
  const reports = await api("GET", "/v1/admin/moderation/reports", token("e2e-mpho", ["moderator"]));
  assert.ok(reports.items.some((r) => r.conversation_id === chat.conversation.id && r.reason === "scam"), "the moderators have it");

  await page.getByRole("button", { name: "Back to your messages" }).click();
  await page.getByRole("searchbox", { name: "Search your messages" }).fill("renew");
  await page.getByRole("button", { name: "Search" }).click();
  // The subject, the question and the answer each match.
  await page.getByRole("button", { name: new RegExp(`Renewing my Soweto ad ${run}.*Open My Ads`) }).waitFor();
  await accessible(page, "widget search", WIDGET);
  await page.screenshot({ path: `${shots}widget-search.png` });
});
