// The website's widget: one file, `dist/widget/saypro-messaging.js`, an IIFE whose only
// global is `SayProMessaging` (its styles are inside, for its shadow roots). Nothing is
// loaded from a CDN at run time.
import { defineConfig } from "vite";

export default defineConfig({
  publicDir: false,
  build: {
    outDir: "dist/widget",
    emptyOutDir: true,
    lib: {
      entry: "src/widget/main.tsx",
      name: "SayProMessaging",
      formats: ["iife"],
      fileName: () => "saypro-messaging.js",
    },
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
