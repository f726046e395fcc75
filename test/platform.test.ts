/** The default platform: its lock without Web Locks, and its channel between tabs (Node's BroadcastChannel stands in for the browser's). */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationStore } from '../src/index.js';
import { defaultPlatform } from '../src/platform.js';
import { A, B, harness } from './fixtures.js';

const stores: ConversationStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('defaultPlatform without Web Locks (Node)', () => {
  it('serialises the rounds of two stores on one database in one JS context', async () => {
    expect((globalThis as { navigator?: { locks?: unknown } }).navigator?.locks).toBeUndefined();
    const h = harness([A, B]);
    let inFlight = 0;
    let maxInFlight = 0;
    // A slow network: a round (a PUT, then a GET) spans several macrotasks, so two
    // unserialised rounds would overlap.
    const slowFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 15));
        return await h.network.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    // Each store gets its own platform object, as two independent stores would; one
    // request at a time within a round, so two requests in flight mean two rounds.
    const options = () => ({
      platform: defaultPlatform(),
      fetch: slowFetch,
      sync: { auto: false, concurrency: 1 },
    });
    const first = h.open(options());
    const second = h.open(options());
    stores.push(first, second);
    await first.sync.now(); // Both see A and B locally (one database).
    maxInFlight = 0;
    await first.conversations.update(A.id, { is_muted: true });
    await second.conversations.update(B.id, { is_pinned: true });
    const [one, two] = await Promise.all([first.sync.now(), second.sync.now()]);
    expect(one.error).toBeNull();
    expect(two.error).toBeNull();
    expect(maxInFlight).toBe(1);
    expect(h.server.get(A.id)?.is_muted).toBe(true);
    expect(h.server.get(B.id)?.is_pinned).toBe(true);
  });
});

describe('defaultPlatform', () => {
  it('carries structured messages to the other channels of a name, never back to the sender', async () => {
    const platform = defaultPlatform();
    const name = `platform-test-${Math.random()}`;
    const [sender, receiver] = [platform.channel?.(name), platform.channel?.(name)];
    const received: unknown[] = [];
    const echoed: unknown[] = [];
    receiver?.listen((message) => received.push(message));
    sender?.listen((message) => echoed.push(message));
    sender?.post({ v: 1, type: 'round', round: { state: 'offline', error: null } });
    sender?.post();
    await expect.poll(() => received).toHaveLength(2);
    expect(received).toEqual([
      { v: 1, type: 'round', round: { state: 'offline', error: null } },
      'wake',
    ]);
    expect(echoed).toEqual([]);
    sender?.close();
    receiver?.close();
  });
});
