// Seniors and managers: broadcasts to users. Compose, pick a segment and see how many it
// will reach, send, watch it go (read again every 2 seconds while one is under way) and
// how it was received (delivered, read, replied, bounced), cancel.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Schemas, errorMessage } from "../api/client";
import { Choice, ErrorLine, Head } from "./parts";

type Segment = Schemas["Segment"];
type Kind = Segment["kind"];

const KINDS: [Kind, string][] = [
  ["all", "Everyone"],
  ["tier", "A membership tier"],
  ["listing_category", "Users who wrote about a listing category"],
  ["location", "Users who wrote about a listing in a location"],
  ["users", "A pasted list of user ids"],
];

/** The ids in a pasted list: one per line, or separated by commas or spaces. */
export function pastedIds(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

function segmentOf(kind: Kind, value: string): Segment | null {
  const v = value.trim();
  switch (kind) {
    case "all":
      return { kind };
    case "tier":
      return v ? { kind, tier: v } : null;
    case "listing_category":
      return v ? { kind, category: v } : null;
    case "location":
      return v ? { kind, location: v } : null;
    case "users": {
      const user_ids = pastedIds(value);
      return user_ids.length ? { kind, user_ids } : null;
    }
  }
}

export function Broadcasts({ api }: { api: Api }) {
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [kind, setKind] = useState<Kind>("all");
  const [value, setValue] = useState("");
  const [reach, setReach] = useState<Schemas["Reach"] | null>(null);
  const [list, setList] = useState<Schemas["Broadcast"][]>([]);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const segment = segmentOf(kind, value);
  const segmentKey = JSON.stringify(segment);
  useEffect(() => {
    setReach(null);
    if (!segment) return;
    // Counted once typing pauses, not on every keystroke.
    const timer = setTimeout(() => {
      void api.POST("/v1/admin/broadcasts/reach", { body: { segment } }).then(({ data }) => setReach(data ?? null));
    }, 400);
    return () => clearTimeout(timer);
  }, [api, segmentKey]);
  const underWay = list.some((b) => b.status === "queued" || b.status === "sending");
  useEffect(() => {
    void api.GET("/v1/admin/broadcasts", {}).then(({ data, error }) => {
      if (data) setList(data.items);
      else setError(errorMessage(error, "The broadcasts could not be read."));
    });
    if (!underWay) return;
    const timer = setTimeout(() => setVersion((v) => v + 1), 2_000);
    return () => clearTimeout(timer);
  }, [api, version, underWay]);
  const send = async (event: Event) => {
    event.preventDefault();
    if (!segment) return setError("Choose who it goes to.");
    const { data, error } = await api.POST("/v1/admin/broadcasts", { body: { subject, body, segment } });
    if (!data) return setError(errorMessage(error, "The broadcast was not sent."));
    setError(null);
    setSubject("");
    setBody("");
    setList((all) => [data, ...all]);
  };
  const cancel = async (id: string) => {
    const { error } = await api.POST("/v1/admin/broadcasts/{id}/cancel", { params: { path: { id } } });
    if (error) setError(errorMessage(error, "The broadcast was not cancelled."));
    setVersion((v) => v + 1);
  };
  return (
    <main>
      <h1>Broadcasts</h1>
      <form class="moderate" onSubmit={(e) => void send(e)}>
        <label>
          Subject
          <input value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
        </label>
        <label>
          Message (arrives in each user's inbox, from SayPro Support)
          <textarea rows={5} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
        </label>
        <Choice
          label="Who it goes to"
          value={kind}
          options={KINDS}
          onChange={(k) => {
            setKind(k as Kind);
            setValue("");
          }}
        />
        {kind === "users" ? (
          <label>
            User ids (one per line, or separated by commas)
            <textarea rows={4} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          </label>
        ) : (
          kind !== "all" && (
            <label>
              {kind === "tier" ? "Tier (basic, verified, premium …)" : kind === "location" ? "Location" : "Listing category"}
              <input value={value} onInput={(e) => setValue(e.currentTarget.value)} />
            </label>
          )
        )}
        <p role="status" class="hint">
          {segment === null
            ? "Choose who it goes to."
            : reach === null
              ? "Counting who it will reach…"
              : `It will reach ${reach.capped ? "more than " : ""}${reach.recipients} ${reach.recipients === 1 ? "user" : "users"}.`}
        </p>
        <button type="submit">Send</button>
      </form>
      <ErrorLine message={error} />
      <h2>Sent and sending</h2>
      <table class="queue">
        <Head columns={["Subject", "To", "Status", "Sent", "Delivered", "Read", "Replied", "Bounced", "Failed", "Started", ""]} />
        <tbody>
          {list.map((b) => (
            <tr key={b.id}>
              <th scope="row">{b.subject}</th>
              <td>{KINDS.find(([k]) => k === b.segment.kind)?.[1]}</td>
              <td>{b.status}</td>
              <td>{b.sent}</td>
              <td>{b.delivered}</td>
              <td>{b.read}</td>
              <td>{b.replied}</td>
              <td>{b.bounced}</td>
              <td>{b.failed}</td>
              <td>{b.started_at ? new Date(b.started_at).toLocaleString() : "not yet"}</td>
              <td>
                {(b.status === "queued" || b.status === "sending") && (
                  <button type="button" onClick={() => void cancel(b.id)}>
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
