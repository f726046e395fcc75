/**
 * Timing helpers for the benchmarks: several rounds, median and p95, each figure next to
 * its baseline measured in the same run, so the ratio is what matters.
 */

export interface Result {
  name: string;
  env: 'node' | 'chromium';
  /** Median of the store's measurement. */
  value: number;
  /** Median of the raw baseline, measured in the same run. */
  baseline: number;
  /** value / baseline. */
  ratio: number;
  unit: string;
  p95?: number;
  baselineP95?: number;
  note?: string;
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] as number;
}

/** Runs `task` `rounds` times (after `warmup` unmeasured runs) and returns ms per run. */
export async function sample(
  task: (round: number) => Promise<unknown>,
  rounds: number,
  warmup = 3,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await task(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await task(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

/**
 * Alternates store and baseline runs so that both see the same machine state (GC, JIT,
 * thermal), then reports medians and p95.
 */
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();

export async function compare(
  name: string,
  env: Result['env'],
  store: (round: number) => Promise<unknown>,
  baseline: (round: number) => Promise<unknown>,
  rounds: number,
  warmup = 3,
  /** Collect garbage before each timed call (where one side leaves much garbage behind). */
  isolateGarbage = false,
): Promise<Result> {
  for (let i = 0; i < warmup; i++) {
    await store(-1 - i);
    await baseline(-1 - i);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Outside the timed calls, so that neither side pays for the other's garbage (a
    // full-scan baseline leaves 10,000 rows behind). `npm run bench` exposes gc().
    if (isolateGarbage) collectGarbage();
    let start = performance.now();
    await store(i);
    a.push(performance.now() - start);
    if (isolateGarbage) collectGarbage();
    start = performance.now();
    await baseline(i);
    b.push(performance.now() - start);
  }
  return fromSamples(name, env, a, b);
}

/** What `list-live-emit` measures, in both environments. */
export const LIST_LIVE_EMIT =
  'local update → re-emission of a 50-row list$ over 10,000 rows vs raw Dexie liveQuery of the same query after a raw put';

/** A result in ms from the store's and the baseline's samples: medians, ratio, p95s. */
export function fromSamples(
  name: string,
  env: Result['env'],
  store: number[],
  baseline: number[],
  note?: string,
): Result {
  const value = median(store);
  const base = median(baseline);
  const result: Result = {
    name,
    env,
    value: round3(value),
    baseline: round3(base),
    ratio: round3(value / base),
    unit: 'ms',
    p95: round3(p95(store)),
    baselineP95: round3(p95(baseline)),
  };
  if (note !== undefined) result.note = note;
  return result;
}

export const round3 = (value: number) => Math.round(value * 1000) / 1000;

export function printTable(results: Result[]): void {
  const rows = results.map((r) => ({
    name: r.name,
    env: r.env,
    value: `${r.value} ${r.unit}`,
    baseline: `${r.baseline} ${r.unit}`,
    ratio: r.ratio,
    p95: r.p95 === undefined ? '' : `${r.p95} / ${r.baselineP95}`,
    note: r.note ?? '',
  }));
  console.table(rows);
}

/** Time from a write to the next emission of a subscription, `rounds` times. */
export async function emissionTimes(
  subscribe: (next: () => void) => { unsubscribe(): void },
  write: (round: number) => Promise<unknown>,
  rounds: number,
): Promise<number[]> {
  let resolveNext: (() => void) | null = null;
  let first: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    first = resolve;
  });
  let seen = 0;
  const subscription = subscribe(() => {
    seen += 1;
    if (seen === 1) first();
    resolveNext?.();
  });
  await ready;
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const emitted = new Promise<void>((resolve) => {
      resolveNext = resolve;
    });
    const start = performance.now();
    await write(round);
    await emitted;
    times.push(performance.now() - start);
    resolveNext = null;
  }
  subscription.unsubscribe();
  return times;
}
