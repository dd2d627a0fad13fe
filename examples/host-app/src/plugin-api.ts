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
}

/**
 * The only handle a plugin gets on the host: its own panel, nothing else. (The plugin's code runs in
 * the page's realm, so this narrows what it is given, not what it could reach: trust comes from the
 * signature check before it runs.)
 */
export function hostApi(plugin: { name: string; version: string; hostVersion: string }, panel: HTMLElement): HostApi {
  return Object.freeze({
    plugin: Object.freeze({ name: plugin.name, version: plugin.version }),
    host: Object.freeze({ name: 'wharf-host-app', version: plugin.hostVersion }),
    render: (text: string) => void panel.replaceChildren(String(text)),
    mount: (element: Node) => void panel.replaceChildren(element),
  });
}
