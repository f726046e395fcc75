import { Observable, type Subscriber } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retrying } from '../../src/local/live.js';
import { FAKE_TIMERS } from '../fixtures.js';

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
});
afterEach(() => {
  vi.useRealTimers();
});

/** A source whose subscriptions are recorded, to fail or feed each one by hand. */
function controlled() {
  const subscribers: Subscriber<number>[] = [];
  const source = new Observable<number>((subscriber) => {
    subscribers.push(subscriber);
  });
  return { source, subscribers, latest: () => subscribers.at(-1) as Subscriber<number> };
}

it('subscribes again 100 ms after a failure, doubling the wait up to 30 s', async () => {
  const { source, subscribers, latest } = controlled();
  const seen: number[] = [];
  const errors: unknown[] = [];
  retrying(source).subscribe({ next: (value) => seen.push(value), error: (e) => errors.push(e) });
  expect(subscribers).toHaveLength(1);
  const waits = [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000];
  for (const wait of waits) {
    const count = subscribers.length;
    latest().error(new Error('read failed'));
    await vi.advanceTimersByTimeAsync(wait - 1);
    expect(subscribers).toHaveLength(count);
    await vi.advanceTimersByTimeAsync(1);
    expect(subscribers).toHaveLength(count + 1);
  }
  latest().next(7);
  expect(seen).toEqual([7]);
  expect(errors).toEqual([]);
});

it('starts again from 100 ms once a subscription has given a value', async () => {
  const { source, subscribers, latest } = controlled();
  retrying(source).subscribe();
  latest().error(new Error('read failed'));
  await vi.advanceTimersByTimeAsync(100);
  latest().error(new Error('read failed'));
  await vi.advanceTimersByTimeAsync(200);
  expect(subscribers).toHaveLength(3);
  latest().next(1);
  latest().error(new Error('read failed'));
  await vi.advanceTimersByTimeAsync(100);
  expect(subscribers).toHaveLength(4);
});

it('waits no more once unsubscribed', async () => {
  const { source, subscribers, latest } = controlled();
  const subscription = retrying(source).subscribe();
  latest().error(new Error('read failed'));
  subscription.unsubscribe();
  await vi.advanceTimersByTimeAsync(60_000);
  expect(subscribers).toHaveLength(1);
  expect(vi.getTimerCount()).toBe(0);
});

describe('unsubscribing during a wait', () => {
  it('clears the wait’s timer at once', () => {
    const { source, subscribers, latest } = controlled();
    const subscription = retrying(source).subscribe();
    latest().error(new Error('read failed'));
    expect(vi.getTimerCount()).toBe(1);
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    expect(subscribers).toHaveLength(1);
  });
});
