/**
 * `npm run size`: the browser bundle of each browser entry (minified, gzipped, dependencies
 * excluded), and of the core with ky bundled (dexie and rxjs, the peer dependencies an app
 * shares, excluded), each checked against its budget. Exits 1 when one is over budget.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const entries = [
  // 11.8 KiB in 0.1.0; 21.2 KiB after storage, quota, first sync, the round kinds and the
  // relay; 22.6 KiB with the debug stream; 24.1 KiB with the live results cache; 24.8 KiB
  // at 0.2; 27.8 KiB with removal only on proof (the walk's head read and reads by id, the
  // records module), the closed state, warm results (cacheMs), receipts (sync.synced) and
  // one change listener per realm: budget 29 KiB, so the next feature has to say what it costs.
  { name: 'core', file: 'index.ts', budget: 29 * 1024, external: ['dexie', 'rxjs', 'ky'] },
  // What an app actually ships on top of Dexie and RxJS (which it shares): the store with ky
  // (32.4 KiB with the features above).
  { name: 'core + ky', file: 'index.ts', budget: 34 * 1024, external: ['dexie', 'rxjs'] },
  // The hooks import only types from the store: a bundle growing past this pulled store code in.
  { name: 'react', file: 'react.ts', budget: 2 * 1024, external: ['react'] },
  // The composables import only types from the store, like the hooks (1.3 KiB with all
  // seven): the same budget as react's, so a bundle growing past it pulled store code in.
  { name: 'vue', file: 'vue.ts', budget: 2 * 1024, external: ['vue'] },
  // The devtools element imports only types from the store (4.3 KiB at first, its stylesheet
  // included): growing past this pulled store code in.
  { name: 'devtools', file: 'devtools.ts', budget: 5 * 1024, external: [] },
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
        fileName: name.replace(/\W+/g, '-'),
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
