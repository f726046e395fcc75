// @vitest-environment happy-dom
/** The frameworks guide's Vue components, compiled from their .vue files as a bundler would, and mounted. */
import { readFileSync } from 'node:fs';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { transform } from 'esbuild';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as vue from 'vue';
import { compileScript, parse } from 'vue/compiler-sfc';
import type { ConversationStore } from '../../src/index.js';
import * as composables from '../../src/vue.js';
import { A, B, C, syncedHarness } from '../fixtures.js';

let store: ConversationStore | undefined;
let wrapper: VueWrapper | undefined;
afterEach(async () => {
  wrapper?.unmount();
  await store?.close();
});

/** Compiles a single-file component; its imports are vue, protocol-offline/vue and './store'. */
async function load(file: string, appStore: ConversationStore): Promise<vue.Component> {
  const { descriptor, errors } = parse(readFileSync(new URL(file, import.meta.url), 'utf8'), {
    filename: file,
  });
  if (errors.length > 0) throw errors[0];
  const { content } = compileScript(descriptor, { id: file, inlineTemplate: true });
  const { code } = await transform(content, { loader: 'ts', format: 'cjs' });
  const modules: Record<string, unknown> = {
    vue,
    'protocol-offline/vue': composables,
    './store': { store: appStore },
  };
  const require = (name: string) => {
    if (!(name in modules)) throw new Error(`${file} imports ${name}`);
    return modules[name];
  };
  const module = { exports: {} as { default?: vue.Component } };
  new Function('require', 'module', 'exports', code)(require, module, module.exports);
  return module.exports.default as vue.Component;
}

describe('Vue: the components of the frameworks guide', () => {
  it('InboxList.vue shows the page, marks unsent rows and follows its checkbox', async () => {
    ({ store } = await syncedHarness([A, B, { ...C, archived_at: 1_600_000_000 }]));
    wrapper = mount(await load('InboxList.vue', store));
    expect(wrapper.text()).toContain('Loading…');
    await vi.waitFor(() => expect(wrapper?.findAll('li')).toHaveLength(2));
    expect(wrapper.text()).toContain('idle: 0 unsent');

    await store.conversations.update(B.id, { is_muted: true });
    await vi.waitFor(() => expect(wrapper?.text()).toContain('contact (not synced yet)'));
    await vi.waitFor(() => expect(wrapper?.text()).toContain('idle: 1 unsent'));

    await wrapper.find('input').setValue(true);
    await vi.waitFor(() => expect(wrapper?.findAll('li')).toHaveLength(1));
  });

  it('ConversationDetails.vue follows its id prop and says when the conversation is deleted', async () => {
    ({ store } = await syncedHarness());
    wrapper = mount(await load('ConversationDetails.vue', store), { props: { id: A.id } });
    await vi.waitFor(() => expect(wrapper?.text()).toBe('Not muted'));

    await store.conversations.update(B.id, { is_muted: true });
    await wrapper.setProps({ id: B.id });
    await vi.waitFor(() => expect(wrapper?.text()).toBe('Muted'));

    await store.conversations.delete(B.id);
    await vi.waitFor(() => expect(wrapper?.text()).toBe('This conversation was deleted.'));
    await flushPromises();
  });
});
