// One conversation: its messages (internal notes set apart), the reply box, and its
// status. Nothing typed is lost when a send fails; the text stays until it is sent.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Conversation, type Message, errorMessage } from "../api/client";
import { slaBadge } from "./sla";

export function ConversationPage({ api, id, version, now }: { api: Api; id: string; version: number; now: Date }) {
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [internal, setInternal] = useState(false);
  const [sending, setSending] = useState(false);

  useEffect(() => {
    let current = true;
    const path = { id };
    void Promise.all([
      api.GET("/v1/admin/conversations/{id}", { params: { path } }),
      api.GET("/v1/admin/conversations/{id}/messages", { params: { path, query: { limit: 100 } } }),
    ]).then(([one, list]) => {
      if (!current) return;
      if (one.data) setConversation(one.data);
      if (list.data) setMessages(list.data.items);
      const failed = one.error ?? list.error;
      setError(failed ? errorMessage(failed, "The conversation could not be read.") : null);
      // Opening it reads it: the user sees "Seen", the team's unread count clears.
      const last = list.data?.items.at(-1);
      if (last) void api.POST("/v1/admin/conversations/{id}/read", { params: { path }, body: { message_id: last.id } });
    });
    return () => {
      current = false;
    };
  }, [api, id, version]);

  const send = async (event: Event) => {
    event.preventDefault();
    if (!draft.trim() || sending) return;
    setSending(true);
    const { data, error } = await api.POST("/v1/admin/conversations/{id}/replies", {
      params: { path: { id } },
      body: { body: draft, internal },
    });
    setSending(false);
    if (data) {
      setMessages((list) => [...list.filter((m) => m.id !== data.id), data]);
      setDraft("");
      setError(null);
    } else setError(errorMessage(error, "The reply was not sent; it is still in the box."));
  };

  const setStatus = async (status: "open" | "pending" | "resolved") => {
    const { data, error } = await api.PATCH("/v1/admin/conversations/{id}", {
      params: { path: { id } },
      body: { status },
    });
    if (data) setConversation(data);
    else setError(errorMessage(error, "The status was not changed."));
  };

  if (!conversation) {
    return <main>{error ? <p role="alert" class="error">{error}</p> : <p>Loading…</p>}</main>;
  }
  const badge = slaBadge(conversation.sla, now);
  return (
    <main class="conversation">
      <p>
        <a href="#/">← Queue</a>
      </p>
      <h1>{conversation.subject}</h1>
      <p class="meta">
        {conversation.created_by} · {conversation.category} · {conversation.priority} · {conversation.status}{" "}
        <span class={`badge ${badge.state}`}>{badge.label}</span>
      </p>
      <div class="actions">
        {conversation.status !== "pending" && (
          <button type="button" onClick={() => void setStatus("pending")}>
            Mark pending
          </button>
        )}
        {conversation.status !== "resolved" && (
          <button type="button" onClick={() => void setStatus("resolved")}>
            Resolve
          </button>
        )}
        {conversation.status === "resolved" && (
          <button type="button" onClick={() => void setStatus("open")}>
            Reopen
          </button>
        )}
      </div>
      <ol class="messages" aria-label="Messages">
        {messages.map((m) => (
          <li key={m.id} class={m.internal ? "note" : m.sender_role}>
            <p class="who">
              {m.internal ? "Internal note · " : ""}
              {m.sender_id} · <time dateTime={m.created_at}>{new Date(m.created_at).toLocaleString()}</time>
            </p>
            <p class="body">{m.body}</p>
          </li>
        ))}
      </ol>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <form class="reply" onSubmit={(e) => void send(e)}>
        <label for="reply">Reply</label>
        <textarea id="reply" rows={4} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <label class="toggle">
          <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.currentTarget.checked)} />
          Internal note (only admins see it)
        </label>
        <button type="submit" disabled={sending} aria-describedby="send-what">
          Send
        </button>
        <span id="send-what" class="hint">
          {internal ? "Send posts an internal note." : "Send posts a reply the user sees."}
        </span>
      </form>
    </main>
  );
}
