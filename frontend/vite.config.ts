// Vite (dev server + build) and Vitest share this file.
import { defineConfig } from "vitest/config";

export default defineConfig({
  server: {
    // The backend listens here in development; SSE (/api/v1/events) goes through the same proxy.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
  build: {
    outDir: "dist",
    target: "es2022",
    // The backend serves dist/ at / with a fallback to index.html.
    assetsDir: "assets",
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
