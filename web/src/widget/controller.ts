// The widget's state, shared by the launcher's panel and every page's buttons: who is
// signed in, what the panel shows, the unread count, and the socket's events.
import { type Api, type Schemas, errorMessage } from "../api/client";
import { decodeClaims } from "../api/claims";
import { Live, type LiveEvent } from "../api/live";
import type { Options } from "./main";
import type { Strings } from "./strings";

export type View =
  | { kind: "closed" }
  | { kind: "list" }
  | { kind: "thread"; id: string }
  | { kind: "seller"; listing: Schemas["PublicListing"] }
  | { kind: "admin"; listing: Schemas["PublicListing"] | null }
  | { kind: "search"; q: string };

export class Controller {
  view: View = { kind: "closed" };
  unread = 0;
  /** Who "you" is in a conversation: the token's `sub`. */
  me: string | null = null;
  error: string | null = null;
  private live: Live | null = null;
  private listeners = new Set<(event: LiveEvent | null) => void>();

  constructor(
    readonly api: Api,
    private readonly options: Options,
    readonly strings: Strings,
  ) {}

  /** Signed in: the socket (badge and live threads) and the unread count. */
  async begin(): Promise<boolean> {
    if (this.live) return true;
    const token = await this.options.token();
    if (!token) return false;
    this.me = decodeClaims(token)?.sub ?? null;
    this.live = new Live(
      this.api,
      (event) => {
        if (event.type === "unread.changed") this.unread = Number((event.counts as Schemas["UnreadCounts"]).total);
        this.changed(event);
      },
      () => void this.countUnread(),
    );
    void this.live.open();
    return true;
  }

  /** Signed out: to the site's sign-in, and false. */
  async signedIn(): Promise<boolean> {
    if (await this.begin()) return true;
    this.options.signIn();
    return false;
  }

  listen(listener: (event: LiveEvent | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  show(view: View): void {
    this.view = view;
    this.error = null;
    this.changed(null);
  }

  tell(action: object): void {
    this.live?.send(action);
  }

  async messageSeller(listingId: string): Promise<void> {
    if (!(await this.signedIn())) return;
    const listing = await this.listing(listingId);
    if (!listing) return;
    const thread = await this.threadAbout(listingId);
    this.show(thread ? { kind: "thread", id: thread } : { kind: "seller", listing });
  }

  async contactAdmin(listingId: string | null): Promise<void> {
    if (!(await this.signedIn())) return;
    const listing = listingId ? await this.listing(listingId) : null;
    if (listingId && !listing) return;
    this.show({ kind: "admin", listing });
  }

  /** The buyer's thread about a listing, if there is one. A filtered page can be short
   *  (even empty) and still go on: follow it a few pages. */
  private async threadAbout(listingId: string): Promise<string | null> {
    let cursor: string | undefined;
    for (let page = 0; page < 5; page += 1) {
      const { data } = await this.api.GET("/v1/conversations", {
        params: { query: { listing_id: listingId, type: "direct", limit: 50, ...(cursor ? { cursor } : {}) } },
      });
      if (data?.items[0]) return data.items[0].id;
      cursor = data?.next_cursor ?? undefined;
      if (!cursor) return null;
    }
    return null;
  }

  private async listing(id: string): Promise<Schemas["PublicListing"] | null> {
    const { data, error } = await this.api.GET("/v1/listings/{id}", { params: { path: { id } } });
    if (!data) {
      this.show({ kind: "list" });
      this.error = errorMessage(error, this.strings.failed);
      this.changed(null);
    }
    return data ?? null;
  }

  private async countUnread(): Promise<void> {
    const { data } = await this.api.GET("/v1/notifications/unread-counts", {});
    if (data) this.unread = data.total;
    this.changed({ type: "reconnected" });
  }

  private changed(event: LiveEvent | null): void {
    for (const listener of this.listeners) listener(event);
  }
}
