/** The manual platform: tabs that exchange copies of their messages, and the offline event. */
import { describe, expect, it } from 'vitest';
import { createManualPlatform } from '../../src/testing/index.js';

describe('createManualPlatform', () => {
  it('delivers a JSON copy of each message to the other channels of a name, later', async () => {
    const platform = createManualPlatform({ tabs: true });
    const [a, b, c] = [platform.channel?.('x'), platform.channel?.('x'), platform.channel?.('y')];
    const atB: unknown[] = [];
    const elsewhere: unknown[] = [];
    b?.listen((message) => atB.push(message));
    a?.listen((message) => elsewhere.push(message));
    c?.listen((message) => elsewhere.push(message));
    const message = { error: new Error('not JSON'), at: 1 };
    a?.post(message);
    expect(atB).toEqual([]); // Asynchronous, as a BroadcastChannel message is.
    await Promise.resolve();
    expect(atB).toEqual([{ error: {}, at: 1 }]);
    expect(atB[0]).not.toBe(message);
    expect(elsewhere).toEqual([]);
  });

  it('drops a message to a channel closed before delivery', async () => {
    const platform = createManualPlatform({ tabs: true });
    const [a, b] = [platform.channel?.('x'), platform.channel?.('x')];
    const atB: unknown[] = [];
    b?.listen((message) => atB.push(message));
    a?.post('wake');
    b?.close();
    await Promise.resolve();
    expect(atB).toEqual([]);
  });

  it('fires the offline listeners on goOffline() and the online ones on goOnline()', () => {
    const platform = createManualPlatform();
    const events: string[] = [];
    platform.onOffline?.(() => events.push('offline'));
    platform.onOnline(() => events.push('online'));
    platform.goOffline();
    expect(platform.isOnline()).toBe(false);
    platform.goOnline();
    expect(events).toEqual(['offline', 'online']);
  });
});
