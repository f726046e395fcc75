/** The default platform's channel between tabs (Node's BroadcastChannel stands in for the browser's). */
import { describe, expect, it } from 'vitest';
import { defaultPlatform } from '../src/index.js';

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
