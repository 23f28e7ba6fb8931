#!/usr/bin/env node
// Entry point for the `aistudio` command; the implementation is compiled from cli/main.ts
// (`npm run build` / `npx tsc -p tsconfig.json`).
"use strict";

const path = require("node:path");

let cli;
try {
  cli = require(path.join(__dirname, "..", "dist", "cli", "main.js"));
} catch (err) {
  if (err && err.code === "MODULE_NOT_FOUND" && String(err.message).includes(path.join("dist", "cli", "main.js"))) {
    process.stderr.write("aistudio: dist/cli/main.js not found — run `npx tsc -p tsconfig.json` first\n");
    process.exit(2);
  }
  throw err;
}

cli.main(process.argv.slice(2)).then(
  (code) => {
    // exitCode rather than process.exit(): lets piped stdout flush completely.
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`aistudio: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
