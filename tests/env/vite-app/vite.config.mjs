import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("../../output/vite-dist", import.meta.url)),
    emptyOutDir: true,
  },
});
