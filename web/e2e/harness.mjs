// What the browser tests share: the dev server they run against (SAYPRO_URL), tokens as
// `local token` mints them, API calls, axe-core's check, and the runner (Debian's
// Chromium, headless, a fresh context per test; a test fails on any console error it did
// not allow).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

export const base = process.env.SAYPRO_URL ?? "http://127.0.0.1:3000";
export const local = process.env.LOCAL ?? "../target/debug/local";
export const shots = new URL("../../target/", import.meta.url).pathname;
/** Marks this run's conversations, so a server used before does not confuse it. */
export const run = Date.now().toString(36);

/** A dev token, as `local token` mints it (`extra`: more of its flags). */
export function token(sub, groups = [], extra = []) {
  const args = ["token", "--sub", sub, "--name", sub, ...extra];
  if (groups.length) args.push("--groups", groups.join(","));
  return execFileSync(local, args, { encoding: "utf8" }).trim();
}

export async function api(method, path, bearer, body) {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const axe = readFileSync(new URL("../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

/** No serious or critical accessibility violations on the page as it is now (or in
 *  the parts `within` selects: axe reads open shadow roots too). */
export async function accessible(page, what, within = null) {
  await page.evaluate(axe);
  const found = await page.evaluate(async (include) => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(include ? { include } : document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }, within);
  assert.deepEqual(found, [], `${what}: accessibility violations`);
}

/** Signs in on the console's page with a pasted token, as a person would. */
export async function signInAs(page, bearer) {
  await page.goto(`${base}/console/`);
  await page.getByLabel("Token").fill(bearer);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

const tests = [];
export const test = (name, run) => tests.push({ name, run });

/** Runs every test registered, in order; exits non-zero if any failed. */
export async function runAll() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  let failed = 0;
  for (const { name, run } of tests) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    const allowed = [];
    page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
    page.setDefaultTimeout(10_000);
    try {
      await run(page, (pattern) => allowed.push(pattern));
      errors.splice(0, errors.length, ...errors.filter((e) => !allowed.some((p) => p.test(e))));
      assert.deepEqual(errors, [], "the page logged errors");
      console.log(`ok   ${name}`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${name}\n     ${String(error?.message ?? error).split("\n").join("\n     ")}`);
      await page
        .screenshot({ path: `${shots}browser-failed-${tests.findIndex((t) => t.name === name)}.png` })
        .catch(() => {});
    }
    await context.close();
  }
  await browser.close();
  if (failed) {
    console.log(`${failed} of ${tests.length} browser tests failed`);
    process.exit(1);
  }
  console.log(`all ${tests.length} browser tests passed`);
}
