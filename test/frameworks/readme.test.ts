/** The README quotes these files whole, so that what it shows is what the tests run. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README framework examples', () => {
  it.each([
    ['InboxList.vue', 'vue'],
    ['ConversationDetails.vue', 'vue'],
    ['svelte.ts', 'ts'],
    ['solid.ts', 'ts'],
    ['angular.ts', 'ts'],
  ])('quotes test/frameworks/%s verbatim', (file, language) => {
    const code = readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`${language}\n${code}\`\`\`\n`);
  });
});
