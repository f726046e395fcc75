/**
 * The debug switch (debug.ts): option `debug` or `localStorage.debug` prints the debug
 * stream with console.debug, one readable line per event; a missing or throwing
 * localStorage leaves it off.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { debugMode, describeEvent } from '../../src/platform/debug.js';
import { A, B, C, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** Every line printed with console.debug while `act` runs on a synced store with `debug`. */
async function printed(debug: boolean | 'verbose' | undefined, act: () => Promise<unknown>) {
  await synced([A, B, C], debug === undefined ? {} : { debug });
  const lines: string[] = [];
  vi.spyOn(console, 'debug').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  await act();
  return lines;
}

const storage = (value: string | (() => never)) => ({
  getItem: () => (typeof value === 'string' ? value : value()),
});

describe('the debug switch', () => {
  it('debug: true prints each request on one line, and the rounds’ ends', async () => {
    const lines = await printed(true, async () => {
      await t.store.conversations.update(A.id, { is_muted: true });
      await t.store.sync.now({ pull: 'none' });
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^protocol-offline PUT /v1/conversations/${A.id} 200 \\d+ms$`),
    );
    expect(lines[1]).toMatch(
      /^protocol-offline round-end kind=none pushed=1 pulled=0 .*state=idle durationMs=\d+$/,
    );
  });

  it("'verbose' prints every event, round starts and coalesced writes included", async () => {
    const lines = await printed('verbose', async () => {
      await t.store.conversations.update(A.id, { is_muted: true });
      await t.store.conversations.update(A.id, { is_pinned: true });
      await t.store.sync.now({ pull: 'none' });
    });
    expect(lines).toEqual([
      `protocol-offline coalesced recordId=${A.id} op=update outcome=merged`,
      'protocol-offline round-start kind=none',
      expect.stringMatching(/^protocol-offline PUT /),
      expect.stringMatching(/^protocol-offline round-end kind=none pushed=1 /),
    ]);
  });

  it('prints nothing by default', async () => {
    const lines = await printed(undefined, () => t.store.sync.now());
    expect(lines).toEqual([]);
  });

  it('turns on when localStorage.debug contains protocol-offline', async () => {
    vi.stubGlobal('localStorage', storage('app,protocol-offline'));
    const lines = await printed(undefined, () => t.store.sync.now());
    expect(lines).toContainEqual(
      expect.stringMatching(/^protocol-offline GET \/v1\/conversations\?limit=100 200 \d+ms$/),
    );
  });

  it('reads localStorage with care: missing, throwing or unrelated leaves it off', () => {
    expect(debugMode(undefined)).toBe(false); // Node: no localStorage.
    vi.stubGlobal(
      'localStorage',
      storage(() => {
        throw new DOMException('denied', 'SecurityError');
      }),
    );
    expect(debugMode(undefined)).toBe(false);
    vi.stubGlobal('localStorage', storage('other-lib'));
    expect(debugMode(undefined)).toBe(false);
    vi.stubGlobal('localStorage', storage('protocol-offline:verbose'));
    expect(debugMode(undefined)).toBe('verbose');
    expect(debugMode(false)).toBe(false); // The option wins.
  });

  it('describes a failed request by its failure class and attempt', () => {
    expect(
      describeEvent({
        type: 'request',
        method: 'DELETE',
        path: '/v1/conversations/x',
        status: null,
        failure: 'timeout',
        durationMs: 10000,
        attempt: 3,
      }),
    ).toBe('DELETE /v1/conversations/x timeout 10000ms (attempt 3)');
  });

  it('describes a decision by its type and fields, lists joined', () => {
    expect(
      describeEvent({
        type: 'conflict',
        recordId: 'r1',
        kind: 'field',
        fields: ['is_muted', 'archived_at'],
      }),
    ).toBe('conflict recordId=r1 kind=field fields=is_muted,archived_at');
  });
});

describe('the localStorage switch', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reads the key `debug` and no other', () => {
    const items: Record<string, string> = { debug: 'protocol-offline', other: 'x' };
    vi.stubGlobal('localStorage', { getItem: (key: string) => items[key] ?? null });
    expect(debugMode(undefined)).toBe(true);
    delete items.debug;
    items[''] = 'protocol-offline';
    expect(debugMode(undefined)).toBe(false);
  });
});
