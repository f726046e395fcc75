/**
 * Bundles protocol-offline/testing (or the main entry) for a browser with esbuild, as an app's bundler would:
 * platform `browser`, nothing external, so any Node import shows up as a build error or
 * in the output.
 */
import { build } from 'esbuild';

const ENTRIES = {
  testing: new URL('../../src/testing/index.ts', import.meta.url).pathname,
  store: new URL('../../src/index.ts', import.meta.url).pathname,
};

/** The bundled entry; `iife` exposes its exports as `globalThis[globalName]`. */
export async function bundleTestingEntry(
  options: { format: 'esm' } | { format: 'iife'; globalName: string },
  entry: keyof typeof ENTRIES = 'testing',
): Promise<{ code: string; errors: number; warnings: string[] }> {
  const result = await build({
    entryPoints: [ENTRIES[entry]],
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    ...options,
  });
  return {
    code: result.outputFiles.map((file) => file.text).join('\n'),
    errors: result.errors.length,
    warnings: result.warnings.map((warning) => warning.text),
  };
}
