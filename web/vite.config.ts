// The console's build: one page under /console/, everything bundled (nothing loaded from
// a CDN at run time), Preact's JSX.
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "/console/",
  root: "console",
  publicDir: false,
  build: {
    outDir: "../dist/console",
    emptyOutDir: true,
    // No inline scripts or styles: the CSP allows 'self' only.
    assetsInlineLimit: 0,
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: { root: ".", include: ["src/**/*.test.ts"] },
});
