/**
 * `npm run size`: the browser bundle of each browser entry (minified, gzipped,
 * dependencies excluded). The core entry is checked against a budget; the testing entry,
 * which apps may load in a page or service worker, is reported. Exits 1 when over budget.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const ENTRIES: { name: string; path: string; budgetBytes?: number }[] = [
  { name: 'core entry', path: '../src/index.ts', budgetBytes: 14 * 1024 },
  { name: 'testing entry', path: '../src/testing/index.ts' },
];

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
let over = false;
for (const { name, path, budgetBytes } of ENTRIES) {
  const output = await build({
    logLevel: 'silent',
    configFile: false,
    build: {
      write: false,
      minify: true,
      lib: { entry: new URL(path, import.meta.url).pathname, formats: ['es'], fileName: 'index' },
      rollupOptions: { external: ['dexie', 'rxjs', 'ky'] },
    },
  });
  const outputs = (Array.isArray(output) ? output : [output]) as {
    output: { type: string; code?: string }[];
  }[];
  const code = outputs
    .flatMap((result) => result.output)
    .filter((chunk) => chunk.type === 'chunk')
    .map((chunk) => chunk.code ?? '')
    .join('\n');
  const minified = Buffer.byteLength(code);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const budget = budgetBytes === undefined ? '' : ` (budget ${kib(budgetBytes)} gzipped)`;
  console.log(`${name}: ${kib(minified)} minified, ${kib(gzipped)} gzipped${budget}`);
  if (budgetBytes !== undefined && gzipped > budgetBytes) over = true;
}
if (over) {
  console.error('over the size budget');
  process.exit(1);
}
