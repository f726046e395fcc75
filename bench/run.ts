/**
 * `npm run bench`: every benchmark next to its raw baseline, in Node (and in Chromium
 * when the browser benchmarks are available), a table on stdout and bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runChromium } from './chromium.js';
import { listSubscribeChurn } from './churn.js';
import { filterSwitchNode } from './filter-switch-node.js';
import { printTable, type Result, round3 } from './measure.js';
import {
  firstPaint,
  listFiltered,
  listLiveEmit,
  localWrite,
  nodePlatform,
  pull10k,
  pushCoalesced,
} from './node.js';
import { pullParts } from './pull-parts.js';
import { requestsPerRound } from './requests.js';
import { VERSUS } from './rxdb.js';

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.some((o) => name.startsWith(o));
const results: Result[] = [];

const suites: [string, () => Promise<Result[]>][] = [
  ['local-write', localWrite],
  ['list-filtered', listFiltered],
  ['list-live-emit', listLiveEmit],
  ['list-subscribe-churn', () => listSubscribeChurn(nodePlatform())],
  ['pull-10k', pull10k],
  ['pull-parts', () => pullParts(nodePlatform())],
  ['push-coalesced', pushCoalesced],
  ['requests-per-round', () => requestsPerRound()],
  ['first-paint', firstPaint],
  ['filter-switch', filterSwitchNode],
  ...VERSUS.map(([name, run]): [string, () => Promise<Result[]>] => [
    name,
    () => run(nodePlatform()),
  ]),
];
/** `BENCH_CHROMIUM_ONLY=1` skips the Node rows, `BENCH_NODE_ONLY=1` the Chromium ones. */
const inNode = process.env.BENCH_CHROMIUM_ONLY === undefined;
for (const [name, run] of suites) {
  if (!inNode || !wanted(name)) continue;
  process.stderr.write(`node: ${name}…\n`);
  results.push(...(await run()));
}

if (inNode && wanted('pull-100k-heap')) {
  process.stderr.write('node: pull-100k-heap…\n');
  const script = fileURLToPath(new URL('./heap.ts', import.meta.url));
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    encoding: 'utf8',
  });
  const heap = JSON.parse(output.trim().split('\n').at(-1) as string) as {
    count: number;
    rowsMiB: number;
    peakGrowthMiB: number;
    retainedMiB: number;
    livePeakGrowthMiB: number;
    seconds: number;
  };
  results.push({
    name: 'pull-100k-heap',
    env: 'node',
    value: round3(heap.peakGrowthMiB),
    baseline: round3(heap.rowsMiB),
    ratio: round3(heap.peakGrowthMiB / heap.rowsMiB),
    unit: 'MiB',
    note: `peak heap growth (garbage included) pulling ${heap.count} rows in ${heap.seconds}s vs the heap size of the rows; live peak after GC ${round3(heap.livePeakGrowthMiB)} MiB, of which ${round3(heap.retainedMiB)} MiB stays after the pull: fake-indexeddb keeps the database itself on the heap`,
  });
}

if (process.env.BENCH_NODE_ONLY === undefined) {
  const browserNames = [
    'local-write',
    'list-filtered',
    'list-live-emit',
    'list-subscribe-churn',
    'filter-switch',
    'pull-10k',
    'pull-parts',
    'pull-100k-heap',
    'first-paint',
    ...VERSUS.map(([name]) => name),
  ].filter(wanted);
  if (browserNames.length > 0) {
    process.stderr.write(`chromium: ${browserNames.join(', ')}…\n`);
    results.push(...(await runChromium(only)));
  }
}

printTable(results);
if (only.length > 0 && process.env.BENCH_MERGE !== undefined) {
  // Replaces the figures of the benchmarks that ran in bench/results.json, keeping the rest.
  const path = new URL('./results.json', import.meta.url);
  const kept = (JSON.parse(readFileSync(path, 'utf8')) as Result[]).filter(
    (old) => !results.some((now) => now.name === old.name && now.env === old.env),
  );
  writeFileSync(path, `${JSON.stringify([...kept, ...results], null, 2)}\n`);
  process.stderr.write('merged into bench/results.json\n');
} else if (only.length === 0) {
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  process.stderr.write('wrote bench/results.json\n');
}
