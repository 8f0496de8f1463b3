// The browser tests: the console's and the website widget's, in Debian's Chromium,
// headless, driven by playwright-core, against a dev server started with --demo.
//
//   SAYPRO_URL=http://127.0.0.1:3999 LOCAL=../target/debug/local node e2e/run.mjs
import { runAll } from "./harness.mjs";
import "./console.mjs";
import "./widget.mjs";

await runAll();
