// The website's messaging widget: one script tag and one call,
// `SayProMessaging.start({ api, token, signIn })`. It puts Message seller and Contact
// admin where the site marks them (`data-saypro-listing="<id>"`, `data-saypro-contact`),
// and a messages launcher with the unread count on every page.
//
// Everything it draws lives in shadow roots with their own style sheet: the site's CSS
// cannot reach in (`:host { all: initial }` stops what would inherit), and the widget's
// cannot leak out. An iframe would isolate as well, but would need our origin's cookies
// or a token handed over by postMessage; a shadow root calls the site's own token
// callback directly and costs no second page load.
import { render } from "preact";
import { apiClient } from "../api/client";
import { Panel } from "./Panel";
import { ENGLISH, type Strings } from "./strings";
import styles from "./widget.css?inline";
import { Controller } from "./controller";
import { Buttons } from "./Buttons";

export interface Options {
  /** The messaging API's base URL. */
  api: string;
  /** The signed-in user's token (refreshed by the site as it expires), or null. */
  token: () => Promise<string | null> | string | null;
  /** Where a signed-out user goes to sign in. */
  signIn: () => void;
  /** Words to replace (the rest stay English). */
  strings?: Partial<Strings>;
}

let controller: Controller | null = null;

/** A shadow root on `host`, with the widget's style sheet (constructed: a site's
 *  Content Security Policy for inline styles does not apply to it). */
function shadow(host: HTMLElement, sheet: CSSStyleSheet): ShadowRoot {
  const root = host.shadowRoot ?? host.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = [sheet];
  return root;
}

export function start(options: Options): void {
  if (controller) return;
  const strings = { ...ENGLISH, ...options.strings };
  const api = apiClient(options.api, async () => (await options.token()) ?? null);
  controller = new Controller(api, options, strings);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(styles);
  const host = document.createElement("div");
  host.setAttribute("data-saypro-messaging", "");
  document.body.append(host);
  const current = controller;
  render(<Panel controller={current} />, shadow(host, sheet));
  const mark = (element: Element) => {
    if (!(element instanceof HTMLElement) || element.shadowRoot) return;
    const listing = element.dataset.sayproListing ?? null;
    render(<Buttons controller={current} listing={listing} />, shadow(element, sheet));
  };
  const marks = "[data-saypro-listing], [data-saypro-contact]";
  document.querySelectorAll(marks).forEach(mark);
  // Pages that add listings later (infinite lists, single-page sites) get buttons too.
  new MutationObserver((changes) => {
    for (const change of changes)
      change.addedNodes.forEach((node) => {
        if (node instanceof Element) {
          if (node.matches(marks)) mark(node);
          node.querySelectorAll(marks).forEach(mark);
        }
      });
  }).observe(document.body, { childList: true, subtree: true });
  void current.begin();
}

/** Opens the messages panel (e.g. from the site's own "Messages" link). */
export function open(): void {
  controller?.show({ kind: "list" });
}
