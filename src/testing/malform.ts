/**
 * Broken list answers for `faults.malformNextList`: what a buggy or hostile server might
 * send, so that tests can check the client validates rows before storing them.
 */

/** How a malformed list row is broken. */
export type MalformedRow = 'wrong-type' | 'missing-field' | 'proto' | 'not-json';

/** Rewrites the JSON text of a list answer with one malformed row. */
export function malformListBody(text: string, how: MalformedRow): string {
  if (how === 'not-json') return '<html><body>502 Bad Gateway</body></html>';
  const page = JSON.parse(text) as { has_more: boolean; data: Record<string, unknown>[] };
  const first = page.data[0] ?? { id: 'MalformedRow0000' };
  if (how === 'wrong-type') {
    page.data[0] = { ...first, is_muted: 'yes' };
    return JSON.stringify(page);
  }
  if (how === 'missing-field') {
    const { created_at: _dropped, ...rest } = first;
    page.data[0] = rest;
    return JSON.stringify(page);
  }
  // A `__proto__` key only survives as an own key in raw JSON text: JSON.stringify of an
  // object cannot produce one, so the row is spliced in as text, next to the valid rows.
  const row = JSON.stringify({ ...first, id: 'PollutingRow0000' });
  const polluting = `${row.slice(0, -1)},"__proto__":{"polluted":true}}`;
  const rows = [...page.data.map((valid) => JSON.stringify(valid)), polluting];
  return `{"has_more":${page.has_more},"data":[${rows.join(',')}]}`;
}
