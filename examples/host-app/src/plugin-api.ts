/** A tiny element builder: the app's whole UI "framework", also shared with plugins. */
export function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** What plugins may import from the host (`import { h } from '@wharf/host-app/ui'`) instead of bundling. */
export const ui = Object.freeze({ h });

/** The object a plugin's `activate(api)` receives. */
export interface HostApi {
  readonly plugin: { readonly name: string; readonly version: string };
  readonly host: { readonly name: string; readonly version: string };
  /** Shows text in the plugin's panel, replacing what was there. */
  render(text: string): void;
  /** Puts an element the plugin built into its panel, replacing what was there. */
  mount(element: Node): void;
  /**
   * A slice of Cartae's plugin API, enough for the samples `npm start` publishes: each contribution
   * is drawn in the plugin's panel, against a demo note.
   */
  readonly sidebar: { add(item: { id: string; title: string; render: () => string }): void };
  readonly statusBar: { add(item: { id: string; render: (note: DemoNote) => string }): void };
  readonly commands: { register(command: { id: string; title: string; run: (note: DemoNote) => unknown }): void };
}

export interface DemoNote {
  title: string;
  text: string;
}

const DEMO_NOTE: DemoNote = Object.freeze({ title: 'Welcome', text: 'Wharf checks every byte of a plugin against the signed catalog before it runs.' });

/**
 * The only handle a plugin gets on the host: its own panel, nothing else. (The plugin's code runs in
 * the page's realm, so this narrows what it is given, not what it could reach: trust comes from the
 * signature check before it runs.)
 */
export function hostApi(plugin: { name: string; version: string; hostVersion: string }, panel: HTMLElement): HostApi {
  // Contributions add up in the panel; render and mount replace it.
  const contribute = (el: Node) => void panel.append(el);
  return Object.freeze({
    plugin: Object.freeze({ name: plugin.name, version: plugin.version }),
    host: Object.freeze({ name: 'wharf-host-app', version: plugin.hostVersion }),
    render: (text: string) => void panel.replaceChildren(String(text)),
    mount: (element: Node) => void panel.replaceChildren(element),
    sidebar: Object.freeze({ add: (item: { title: string; render: () => string }) => contribute(h('section', {}, h('strong', {}, String(item.title)), ' ', String(item.render()))) }),
    statusBar: Object.freeze({ add: (item: { render: (note: DemoNote) => string }) => contribute(h('div', { class: 'status-bar' }, String(item.render(DEMO_NOTE)))) }),
    commands: Object.freeze({
      register: (command: { title: string; run: (note: DemoNote) => unknown }) => {
        const out = h('span', { class: 'command-result' });
        const button = h('button', { type: 'button' }, String(command.title));
        button.addEventListener('click', () => {
          Promise.resolve()
            .then(() => command.run(DEMO_NOTE))
            .then(
              (result) => void out.replaceChildren(result === undefined ? 'done' : String(result)),
              (err: unknown) => void out.replaceChildren(`failed: ${(err as Error)?.message ?? String(err)}`),
            );
        });
        contribute(h('div', {}, button, ' ', out));
      },
    }),
  });
}
