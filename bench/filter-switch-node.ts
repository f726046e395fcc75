/**
 * Node's side of `filter-switch` (bench/filter-switch.ts): React renders into a happy-dom
 * document (as the React tests do), with React's production build as in the Chromium
 * bundle. The DOM globals are there only while the benchmark runs.
 */
import { Window } from 'happy-dom';
import type { Result } from './measure.js';
import { nodePlatform } from './node.js';

export async function filterSwitchNode(): Promise<Result[]> {
  const window = new Window({ url: 'http://localhost/' });
  const scope = globalThis as Record<string, unknown>;
  const added: string[] = [];
  for (const key of Object.getOwnPropertyNames(window)) {
    if (key in scope) continue;
    scope[key] = (window as unknown as Record<string, unknown>)[key];
    added.push(key);
  }
  // react-dom reads NODE_ENV and whether there is a DOM when it loads: both are set now.
  const nodeEnv = process.env.NODE_ENV;
  try {
    process.env.NODE_ENV = 'production';
    const loaded = import('./filter-switch.js').finally(() => {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    });
    const { filterSwitch } = await loaded;
    return await filterSwitch(nodePlatform());
  } finally {
    for (const key of added) delete scope[key];
    await window.happyDOM.close();
  }
}
