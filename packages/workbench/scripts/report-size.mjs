// Reports the JavaScript the sign-in page loads (the entry chunk and its static imports, gzipped) from
// Vite's manifest, and writes it to dist/size.json. The role pages are separate chunks loaded after
// sign-in; the budget of the first load is 300 KB gzipped.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const gz = (file) => gzipSync(readFileSync(join(dist, file))).length;

function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key].imports ?? []) closure(imported, seen);
  return seen;
}
const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);
const firstLoad = [...closure(entry)].map((key) => manifest[key].file);
const signInBytes = firstLoad.reduce((sum, file) => sum + gz(file), 0);
const lazy = Object.entries(manifest)
  .filter(([, chunk]) => chunk.isDynamicEntry)
  .map(([key, chunk]) => ({ chunk: key, gzipBytes: [...closure(key)].filter((k) => !closure(entry).has(k)).reduce((s, k) => s + gz(manifest[k].file), 0) }));
const budget = 300 * 1024;
const report = { signInPage: { files: firstLoad, gzipBytes: signInBytes, budgetBytes: budget, withinBudget: signInBytes <= budget }, lazyChunks: lazy };
writeFileSync(join(dist, 'size.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`workbench: sign-in page JavaScript ${(signInBytes / 1024).toFixed(1)} KB gzipped (budget ${budget / 1024} KB)${signInBytes <= budget ? '' : ' — OVER BUDGET'}`);
for (const chunk of lazy) console.log(`  lazy ${chunk.chunk}: +${(chunk.gzipBytes / 1024).toFixed(1)} KB gzipped`);
if (signInBytes > budget) process.exitCode = 1;
