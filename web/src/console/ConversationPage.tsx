// One conversation: its messages (internal notes set apart), the reply box, and its
// status. Nothing typed is lost when a send fails; the text stays until it is sent.
import { useEffect, useState } from "preact/hooks";
import { CATEGORIES, TEAMS } from "./labels";
import { Choice, ErrorLine } from "./parts";
import { type Api, type Conversation, type Message, type Schemas, errorMessage } from "../api/client";
import { Attachments } from "./Attachments";
import { Sidebar } from "./Sidebar";
import { slaBadge } from "./sla";
import { matching, slashFilter, type Template } from "./templates";
import { MergeInto, Snooze } from "./Workflow";
import { mergedFrom } from "./workflow";

export interface Presence {
  /** Who else is typing in it, or has it open (their ids). */
  typing: string[];
  viewing: string[];
}

export function ConversationPage({
  api,
  id,
  version,
  now,
  me,
  presence,
  send: tell,
}: {
  api: Api;
  id: string;
  version: number;
  now: Date;
  me: string;
  presence: Presence;
  /** A socket action (typing, viewing). */
  send: (action: object) => void;
}) {
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [internal, setInternal] = useState(false);
  const [sending, setSending] = useState(false);
  const [templates, setTemplates] = useState<Template[]>([]);
  /** The template chosen for the reply, with its preview (this conversation's values). */
  const [chosen, setChosen] = useState<{ template: Template; preview: string } | null>(null);
  const [highlighted, setHighlighted] = useState(0);
  const [agents, setAgents] = useState<Schemas["Agent"][]>([]);
  const [typingSent, setTypingSent] = useState(0);
  /** Bumped to read the conversation again (after a conflict). */
  const [here, setVersionHere] = useState(0);

  // Others see this admin has it open while the page shows it.
  useEffect(() => {
    tell({ action: "viewing", conversation_id: id, state: "on" });
    return () => tell({ action: "viewing", conversation_id: id, state: "off" });
  }, [id, tell]);
  useEffect(() => {
    void api.GET("/v1/admin/agents", {}).then(({ data }) => data && setAgents(data.items));
  }, [api]);
  /** Typing tells the others at most every 3 seconds (they drop it after 6 of silence). */
  const typed = () => {
    const at = Date.now();
    if (at - typingSent > 3_000) {
      tell({ action: "typing", conversation_id: id, state: "on" });
      setTypingSent(at);
    }
  };

  useEffect(() => {
    void api.GET("/v1/admin/templates", {}).then(({ data }) => data && setTemplates(data.items));
  }, [api]);
  const filter = chosen ? null : slashFilter(draft);
  const offered = filter === null ? [] : matching(templates, filter).slice(0, 8);

  const choose = async (template: Template) => {
    const { data, error } = await api.POST("/v1/admin/templates/{id}/preview", {
      params: { path: { id: template.id } },
      body: { conversation_id: id },
    });
    if (data) {
      setChosen({ template, preview: data.body });
      setDraft("");
      setError(null);
    } else setError(errorMessage(error, "The template could not be previewed."));
  };

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
  }, [api, id, version, here]);

  const send = async (event: Event) => {
    event.preventDefault();
    if ((!draft.trim() && !chosen) || sending) return;
    setSending(true);
    const body = chosen
      ? { template_id: chosen.template.id, internal }
      : { body: draft, internal };
    const { data, error } = await api.POST("/v1/admin/conversations/{id}/replies", {
      params: { path: { id } },
      body,
    });
    setSending(false);
    if (data) {
      setMessages((list) => [...list.filter((m) => m.id !== data.id), data]);
      setDraft("");
      setChosen(null);
      setError(null);
    } else setError(errorMessage(error, "The reply was not sent; it is still in the box."));
  };

  const keys = (event: KeyboardEvent) => {
    if (offered.length === 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : offered.length - 1;
      setHighlighted((highlighted + step) % offered.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      const template = offered[highlighted] ?? offered[0];
      if (template) void choose(template);
    } else if (event.key === "Escape") {
      setDraft("");
    }
  };

  /** Any change of status, assignee, priority or category: the API's answer replaces it. */
  const change = async (body: Schemas["ConversationChanges"]) => {
    const { data, error } = await api.PATCH("/v1/admin/conversations/{id}", { params: { path: { id } }, body });
    if (data) {
      setConversation(data);
      setError(null);
    } else if (error?.error.code === "conflict") {
      setError("Someone changed this conversation at the same time: it is shown again as it is now.");
      setVersionHere((v) => v + 1);
    } else setError(errorMessage(error, "The change was not saved."));
  };
  const setStatus = (status: "open" | "pending" | "resolved") => change({ status });
  /** Resolves it, then opens the soonest-due open conversation of the queue (or the queue). */
  const resolveAndNext = async () => {
    await change({ status: "resolved" });
    const { data } = await api.GET("/v1/admin/conversations", {
      params: { query: { sort: "due", status: "open", limit: 2 } },
    });
    const next = data?.items.find((c) => c.id !== id);
    location.hash = next ? `#/c/${next.id}` : "#/";
  };

  if (!conversation) {
    return <main>{error ? <p role="alert" class="error">{error}</p> : <p>Loading…</p>}</main>;
  }
  const badge = slaBadge(conversation.sla, now);
  const merged = conversation.status === "merged";
  return (
    <div class="with-sidebar">
    <main class="conversation">
      <p>
        <a href="#/">← Queue</a>
      </p>
      <h1>{conversation.subject}</h1>
      <p class="meta">
        {conversation.created_by} · {conversation.category} · {conversation.priority} · {conversation.status}{" "}
        <span class={`badge ${badge.state}`}>{badge.label}</span>
      </p>
      {conversation.merged_into && (
        <p class="merged" role="note">
          Merged into <a href={`#/c/${conversation.merged_into}`}>{conversation.merged_into}</a>: the conversation
          goes on there, and its messages are shown there too.
        </p>
      )}
      {conversation.merged_from.length > 0 && (
        <p class="meta">
          Merged into this one:{" "}
          {conversation.merged_from.map((from, n) => (
            <>
              {n > 0 && ", "}
              <a href={`#/c/${from}`}>{from}</a>
            </>
          ))}
        </p>
      )}
      {!merged && (
      <>
      <form class="controls" aria-label="Conversation" onSubmit={(e) => e.preventDefault()}>
        <label>
          Assignee
          <select
            value={conversation.assignee ?? ""}
            onChange={(e) => {
              const value = e.currentTarget.value;
              void change({ assignee: value === "" ? null : value });
            }}
          >
            <option value="">Nobody</option>
            <option value={me}>Me</option>
            {agents
              .filter((a) => a.id !== me && conversation.team !== null && a.teams.includes(conversation.team))
              .map((a) => (
                <option value={a.id}>{a.contact.name ?? a.id}</option>
              ))}
          </select>
        </label>
        <Choice
          label="Team"
          value={conversation.team ?? ""}
          onChange={(value) => void change({ team: value as NonNullable<Conversation["team"]> })}
          options={TEAMS.map((t): [string, string] => [t, t])}
        />
        <Choice
          label="Priority"
          value={conversation.priority}
          onChange={(value) => void change({ priority: value as Conversation["priority"] })}
          options={[["normal", "normal"], ["urgent", "urgent"]]}
        />
        <Choice
          label="Category"
          value={conversation.category}
          onChange={(value) => void change({ category: value as Conversation["category"] })}
          options={CATEGORIES.map((c): [string, string] => [c, c])}
        />
      </form>
      {presence.viewing.length > 0 && (
        <p class="presence" aria-live="polite">
          Also open by {presence.viewing.join(", ")}
        </p>
      )}
      <div class="actions">
        {conversation.status !== "pending" && (
          <button type="button" onClick={() => void setStatus("pending")}>
            Mark pending
          </button>
        )}
        {conversation.status !== "resolved" && (
          <>
            <button type="button" onClick={() => void setStatus("resolved")}>
              Resolve
            </button>
            <button type="button" id="resolve-next" onClick={() => void resolveAndNext()}>
              Resolve and open the next
            </button>
          </>
        )}
        {conversation.status === "resolved" && (
          <button type="button" onClick={() => void setStatus("open")}>
            Reopen
          </button>
        )}
      </div>
      <Snooze conversation={conversation} now={now} change={change} />
      <MergeInto api={api} conversation={conversation} merged={(into) => (location.hash = `#/c/${into.id}`)} />
      </>
      )}
      <ol class="messages" aria-label="Messages">
        {messages.map((m) => (
          <li key={m.id} class={m.internal ? "note" : m.sender_role}>
            <p class="who">
              {m.internal ? "Internal note · " : ""}
              {m.sender_id} · <time dateTime={m.created_at}>{new Date(m.created_at).toLocaleString()}</time>
              {mergedFrom(conversation, m) && ` · from ${mergedFrom(conversation, m)}`}
            </p>
            <p class="body">{m.body}</p>
            <Attachments api={api} conversation={id} message={m} />
          </li>
        ))}
      </ol>
      {seen(conversation, messages) && <p class="seen">Seen by the user</p>}
      {presence.typing.length > 0 && (
        <p class="typing" aria-live="polite">
          {presence.typing.join(", ")} {presence.typing.length === 1 ? "is" : "are"} typing…
        </p>
      )}
      <ErrorLine message={error} />
      {!merged && (
      <form class="reply" onSubmit={(e) => void send(e)}>
        <label for="reply">Reply</label>
        {chosen ? (
          <div class="chosen" aria-live="polite">
            <p>
              Template <strong>{chosen.template.name}</strong>, as Send will post it:
            </p>
            <p class="body">{chosen.preview}</p>
            <button type="button" onClick={() => setChosen(null)}>
              Write my own instead
            </button>
          </div>
        ) : (
          <textarea
            id="reply"
            rows={4}
            value={draft}
            placeholder="Type / for a template"
            aria-controls={offered.length > 0 ? "templates" : undefined}
            onInput={(e) => {
              setDraft(e.currentTarget.value);
              setHighlighted(0);
              typed();
            }}
            onKeyDown={keys}
          />
        )}
        {offered.length > 0 && (
          <ul id="templates" role="listbox" aria-label="Templates" class="templates">
            {offered.map((t, n) => (
              <li
                key={t.id}
                role="option"
                aria-selected={n === highlighted}
                onMouseDown={(e) => {
                  e.preventDefault();
                  void choose(t);
                }}
              >
                <strong>{t.name}</strong> <span>{t.body.slice(0, 80)}</span>
              </li>
            ))}
          </ul>
        )}
        {filter !== null && offered.length === 0 && <p class="hint">No template matches “{filter}”.</p>}
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
      )}
    </main>
    <Sidebar api={api} conversation={conversation} version={version} />
    </div>
  );
}

/** Whether the user has read the admin side's last message ("Seen"). */
function seen(conversation: Conversation, messages: Message[]): boolean {
  const mark = conversation.others_read_up_to;
  const last = [...messages].reverse().find((m) => m.sender_role === "admin" && !m.internal);
  return Boolean(mark && last && mark.message_id >= last.id);
}
