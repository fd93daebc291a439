#!/usr/bin/env node
// Bundles the web console's SPA (src/console/ui, Preact + uPlot) into one index.html, app.js and
// app.css, minified, with no CDN or external font: the console must work on a machine without
// internet access. Usage: node scripts/build-console.mjs [--out <dir>] (default dist/console/ui).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outIndex = process.argv.indexOf("--out");
const outDir = resolve(outIndex >= 0 ? process.argv[outIndex + 1] : join(root, "dist/console/ui"));

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Brook console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="app.js"></script>
</body>
</html>
`;

const started = performance.now();
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: { app: join(root, "src/console/ui/main.tsx") },
  outdir: outDir,
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
});
writeFileSync(join(outDir, "index.html"), INDEX_HTML);
console.log(`console UI built in ${outDir} (${Math.round(performance.now() - started)} ms)`);
