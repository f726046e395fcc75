/**
 * `npm run size`: the browser bundle of the core entry (minified, gzipped, dependencies
 * excluded), checked against a budget. Exits 1 when over budget.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const BUDGET_BYTES = 14 * 1024;
const entry = new URL('../src/index.ts', import.meta.url).pathname;

const output = await build({
  logLevel: 'silent',
  configFile: false,
  build: {
    write: false,
    minify: true,
    lib: { entry, formats: ['es'], fileName: 'index' },
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
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(
  `core entry: ${kib(minified)} minified, ${kib(gzipped)} gzipped (budget ${kib(BUDGET_BYTES)} gzipped)`,
);
if (gzipped > BUDGET_BYTES) {
  console.error('over the size budget');
  process.exit(1);
}
