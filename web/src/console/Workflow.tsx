// A conversation's workflow controls: snooze a pending one until a time (or wake it),
// and merge a duplicate into another conversation of the same user.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Conversation, errorMessage } from "../api/client";
import { ErrorLine } from "./parts";
import { localIn, mergeTargets, snoozeTime } from "./workflow";

export function Snooze({
  conversation,
  now,
  change,
}: {
  conversation: Conversation;
  now: Date;
  /** The PATCH the page sends (its answer replaces the conversation). */
  change: (body: { snoozed_until: string | null }) => Promise<void>;
}) {
  const [until, setUntil] = useState(() => localIn(now, 24));
  if (conversation.snoozed_until) {
    return (
      <p class="snoozed">
        Snoozed until <time dateTime={conversation.snoozed_until}>{new Date(conversation.snoozed_until).toLocaleString()}</time>
        : it reopens then, or when the user writes.{" "}
        <button type="button" onClick={() => void change({ snoozed_until: null })}>
          Wake now
        </button>
      </p>
    );
  }
  if (conversation.status !== "pending") return null;
  return (
    <form
      class="snooze"
      aria-label="Snooze"
      onSubmit={(event) => {
        event.preventDefault();
        const at = snoozeTime(until);
        if (at) void change({ snoozed_until: at });
      }}
    >
      <label>
        Snooze until
        <input type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
      </label>
      <button type="submit">Snooze</button>
    </form>
  );
}

export function MergeInto({
  api,
  conversation,
  merged,
}: {
  api: Api;
  conversation: Conversation;
  /** The conversation it was merged into, as the API answered. */
  merged: (into: Conversation) => void;
}) {
  const [theirs, setTheirs] = useState<Conversation[]>([]);
  const [into, setInto] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api
      .GET("/v1/admin/users/{id}/conversations", { params: { path: { id: conversation.created_by } } })
      .then(({ data }) => data && setTheirs(mergeTargets(conversation, data.items)));
  }, [api, conversation]);
  if (theirs.length === 0) return null;
  const merge = async (event: Event) => {
    event.preventDefault();
    if (!into) return;
    const { data, error } = await api.POST("/v1/admin/conversations/{id}/merge", {
      params: { path: { id: conversation.id } },
      body: { into },
    });
    if (data) merged(data);
    else setError(errorMessage(error, "The conversations were not merged."));
  };
  return (
    <form class="merge" aria-label="Merge" onSubmit={(e) => void merge(e)}>
      <label>
        Merge this duplicate into
        <select value={into} onChange={(e) => setInto(e.currentTarget.value)}>
          <option value="">Choose one of the user's conversations</option>
          {theirs.map((c) => (
            <option value={c.id}>
              {c.subject} ({c.status}, {new Date(c.created_at).toLocaleDateString()})
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={!into}>
        Merge
      </button>
      <ErrorLine message={error} />
    </form>
  );
}
