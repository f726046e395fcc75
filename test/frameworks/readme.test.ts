/** The frameworks guide quotes these files whole, so that what it shows is what the tests run. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const guide = readFileSync(new URL('../../docs/frameworks.md', import.meta.url), 'utf8');

describe('the frameworks guide’s examples', () => {
  it.each([
    ['InboxList.vue', 'vue'],
    ['ConversationDetails.vue', 'vue'],
    ['svelte.ts', 'ts'],
    ['solid.ts', 'ts'],
    ['angular.ts', 'ts'],
  ])('quotes test/frameworks/%s verbatim', (file, language) => {
    const code = readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(guide).toContain(`\`\`\`${language}\n${code}\`\`\`\n`);
  });
});
