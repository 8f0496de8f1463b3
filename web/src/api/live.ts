// The socket the console and the widget share: a one-time ticket, the events as they
// come, pings within API Gateway's 10-minute idle limit, and a reconnect (with a
// catch-up) when it drops.
import type { Api } from "./client";

export interface LiveEvent {
  type: string;
  [field: string]: unknown;
}

const PING_MS = 4 * 60_000;

export class Live {
  private socket: WebSocket | null = null;
  private ping: number | undefined;
  private retry = 0;
  private closed = false;
  /** Actions asked for before the socket opened: sent once it does. */
  private waiting: object[] = [];

  constructor(
    private readonly api: Api,
    private readonly onEvent: (event: LiveEvent) => void,
    /** Called each time the socket opens (the first time too): fetch what may have
     *  changed before it was listening. */
    private readonly onOpen: () => void,
    /** Admins say they are online as the socket opens (users have no presence). */
    private readonly presence = false,
  ) {}

  async open(): Promise<void> {
    const { data } = await this.api.POST("/v1/realtime/tickets", {});
    if (!data || this.closed) return this.later();
    const socket = new WebSocket(data.url);
    this.socket = socket;
    socket.onopen = () => {
      this.onOpen();
      this.retry = 0;
      if (this.presence) socket.send(JSON.stringify({ action: "presence", status: "online" }));
      for (const action of this.waiting.splice(0)) socket.send(JSON.stringify(action));
      this.ping = window.setInterval(() => socket.send(JSON.stringify({ action: "ping" })), PING_MS);
    };
    socket.onmessage = (message) => {
      try {
        this.onEvent(JSON.parse(String(message.data)) as LiveEvent);
      } catch {
        // Not an event of ours: ignored.
      }
    };
    socket.onclose = () => {
      window.clearInterval(this.ping);
      if (!this.closed) this.later();
    };
  }

  send(action: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(action));
    else this.waiting.push(action);
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }

  private later(): void {
    this.retry += 1;
    const wait = Math.min(30_000, 500 * 2 ** this.retry);
    window.setTimeout(() => void this.open().catch(() => this.later()), wait);
  }
}
