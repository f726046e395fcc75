/**
 * Peak heap growth while pulling 100,000 conversations (run with --expose-gc).
 * fake-indexeddb keeps the database itself on the heap, so the figure is split into what
 * stays (the stored rows) and the transient peak above it (the pull's working memory).
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { createConversationStore } from '../src/index.js';
import { createReferenceServer, generateConversations } from '../src/testing/index.js';

const COUNT = Number(process.env.HEAP_COUNT ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const rows = generateConversations(COUNT, { seed: 1 });
const server = createReferenceServer({ token: 't', seed: rows });
// The size of the rows themselves: one more copy of the listing, as JSON.parse makes it.
const beforeCopy = heap();
const copy = JSON.parse(JSON.stringify(rows)) as unknown[];
const rowsBytes = heap() - beforeCopy;
copy.length = 0;

const start = heap();
// Two figures: the largest heapUsed seen at all (garbage included, sampled every 5 ms),
// and the largest live heap (after a full GC) at every 10th page request.
let peak = start;
let livePeak = start;
let requests = 0;
const sample = () => {
  const used = process.memoryUsage().heapUsed;
  if (used > peak) peak = used;
};
const timer = setInterval(sample, 5);
const store = createConversationStore({
  baseUrl: 'http://reference.test',
  getToken: () => 't',
  fetch: async (input, init) => {
    sample();
    if (requests++ % 10 === 0) livePeak = Math.max(livePeak, heap());
    return server.fetch(input, init);
  },
  databaseName: 'heap',
  indexedDB: new IDBFactory(),
  IDBKeyRange,
  sync: { auto: false },
});
const began = performance.now();
const summary = await store.sync.now();
const seconds = (performance.now() - began) / 1000;
clearInterval(timer);
sample();
const retained = heap() - start;
const result = {
  count: COUNT,
  pulled: summary.pulled,
  seconds: Math.round(seconds * 10) / 10,
  rowsMiB: rowsBytes / 2 ** 20,
  peakGrowthMiB: (peak - start) / 2 ** 20,
  livePeakGrowthMiB: (livePeak - start) / 2 ** 20,
  retainedMiB: retained / 2 ** 20,
};
await store.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
