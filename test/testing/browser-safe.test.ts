/** protocol-offline/testing imports nothing from Node, so a browser bundler can take it whole. */
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bundleTestingEntry } from './bundle.js';

describe('the testing entry in a browser bundle', () => {
  it('bundles for platform browser with nothing external, without errors or warnings', async () => {
    const { code, errors, warnings } = await bundleTestingEntry({ format: 'esm' });
    expect(errors).toBe(0);
    expect(warnings).toEqual([]);
    expect(code).toContain('createReferenceServer');
  });

  it('contains no import or require of a Node builtin', async () => {
    const { code } = await bundleTestingEntry({ format: 'esm' });
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/\brequire\s*\(/);
    const builtins = builtinModules.filter((name) => !name.startsWith('_')).join('|');
    const fromBuiltin = new RegExp(`\\bfrom\\s*["'](${builtins})(/[^"']*)?["']`);
    expect(code).not.toMatch(fromBuiltin);
    expect(code).not.toMatch(/\bimport\s*\(/);
  });
});
