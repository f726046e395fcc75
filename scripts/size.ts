/**
 * `npm run size`: the browser bundle of each browser entry (minified, gzipped, dependencies
 * excluded), checked against its budget. Exits 1 when one is over budget.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const entries = [
  // 15 KiB since the cross-tab relay (status and events in every tab, about 1 KiB).
  { name: 'core', file: 'index.ts', budget: 15 * 1024, external: ['dexie', 'rxjs', 'ky'] },
  // The hooks import only types from the store: a bundle growing past this pulled store code in.
  { name: 'react', file: 'react.ts', budget: 2 * 1024, external: ['react'] },
  // The reference server, for apps that load it in a page or service worker (tests, demos).
  {
    name: 'testing',
    file: 'testing/index.ts',
    budget: 8 * 1024,
    external: ['dexie', 'rxjs', 'ky'],
  },
];

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
let over = false;
for (const { name, file, budget, external } of entries) {
  const output = await build({
    logLevel: 'silent',
    configFile: false,
    build: {
      write: false,
      minify: true,
      lib: {
        entry: new URL(`../src/${file}`, import.meta.url).pathname,
        formats: ['es'],
        fileName: name,
      },
      rollupOptions: { external },
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
  console.log(
    `${name} entry: ${kib(minified)} minified, ${kib(gzipped)} gzipped (budget ${kib(budget)} gzipped)`,
  );
  if (gzipped > budget) {
    console.error(`${name} entry: over the size budget`);
    over = true;
  }
}
if (over) process.exit(1);
