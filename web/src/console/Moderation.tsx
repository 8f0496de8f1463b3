// The moderators' pages: messages the abuse filter held (release or reject), reports
// (read in context, close with an outcome), and the audit log.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ErrorLine, Head } from "./parts";
import { type Api, type ApiError, type Schemas, errorMessage } from "../api/client";
import { type Versioned, VersionedForm } from "./versioned";

type Held = Schemas["Held"];
type Report = Schemas["Report"];
type Outcome = Schemas["ReportOutcome"];

function heldText(held: Held): string {
  const request = held.request;
  return request.kind === "message" ? request.body : `${request.request.subject ?? ""}: ${request.request.body}`;
}

export function HeldQueue({ api }: { api: Api }) {
  const [items, setItems] = useState<Held[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void api.GET("/v1/admin/moderation/held", {}).then(({ data, error }) => {
      if (data) setItems(data.items);
      else setError(errorMessage(error, "The held messages could not be read."));
    });
  }, [api, version]);
  const decide = async (id: string, decision: "release" | "reject") => {
    const path = { params: { path: { id } } };
    const { error } =
      decision === "release"
        ? await api.POST("/v1/admin/moderation/held/{id}/release", path)
        : await api.POST("/v1/admin/moderation/held/{id}/reject", path);
    if (error) setError(errorMessage(error, "That did not work."));
    else setVersion((v) => v + 1);
  };
  return (
    <main>
      <h1>Held messages</h1>
      <ErrorLine message={error} />
      {items && items.length === 0 && <p>No message is waiting.</p>}
      <ol class="held">
        {items?.map((held) => (
          <li key={held.id}>
            <p class="who">
              {held.sender_id} · {new Date(held.created_at).toLocaleString()} · held because {held.reason}
            </p>
            <p class="body">{heldText(held)}</p>
            <div class="actions">
              <button type="button" onClick={() => void decide(held.id, "release")}>
                Release
              </button>
              <button type="button" onClick={() => void decide(held.id, "reject")}>
                Reject
              </button>
            </div>
          </li>
        ))}
      </ol>
    </main>
  );
}

const OUTCOMES: [Outcome, string][] = [
  ["dismissed", "Dismiss"],
  ["message_hidden", "Hide the message"],
  ["user_blocked", "Block the user"],
  ["flagged_to_support", "Hand to support"],
];

export function Reports({ api }: { api: Api }) {
  const [items, setItems] = useState<Report[] | null>(null);
  const [open, setOpen] = useState<Schemas["ReportInContext"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void api.GET("/v1/admin/moderation/reports", {}).then(({ data, error }) => {
      if (data) setItems(data.items);
      else setError(errorMessage(error, "The reports could not be read."));
    });
  }, [api, version]);
  const read = async (id: string) => {
    const { data, error } = await api.GET("/v1/admin/moderation/reports/{id}", { params: { path: { id } } });
    if (data) setOpen(data);
    else setError(errorMessage(error, "The report could not be read."));
  };
  const close = async (id: string, outcome: Outcome) => {
    const { error } = await api.POST("/v1/admin/moderation/reports/{id}/close", {
      params: { path: { id } },
      body: { outcome },
    });
    if (error) setError(errorMessage(error, "The report was not closed."));
    else {
      setOpen(null);
      setVersion((v) => v + 1);
    }
  };
  return (
    <main>
      <h1>Reports</h1>
      <ErrorLine message={error} />
      {items && items.length === 0 && <p>No report is open.</p>}
      <ol class="reports">
        {items?.map((report) => (
          <li key={report.id}>
            <p>
              {report.reason} · about {report.reported_user} · reported by {report.reporter}{" "}
              <button type="button" onClick={() => void read(report.id)}>
                Read in context
              </button>
            </p>
            {open?.report.id === report.id && (
              <section aria-label="The conversation reported">
                <ol class="messages">
                  {open.messages.map((m) => (
                    <li key={m.id} class={m.id === report.message_id ? "reported" : m.sender_role}>
                      <p class="who">{m.sender_id}</p>
                      <p class="body">{m.body}</p>
                    </li>
                  ))}
                </ol>
                <div class="actions">
                  {OUTCOMES.map(([outcome, label]) => (
                    <button type="button" onClick={() => void close(report.id, outcome)}>
                      {label}
                    </button>
                  ))}
                </div>
              </section>
            )}
          </li>
        ))}
      </ol>
    </main>
  );
}

export function AuditLog({ api }: { api: Api }) {
  const [items, setItems] = useState<Schemas["AuditEntry"][] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api.GET("/v1/admin/audit", {}).then(({ data, error }) => {
      if (data) setItems(data.items);
      else setError(errorMessage(error, "The audit log could not be read."));
    });
  }, [api]);
  return (
    <main>
      <h1>Audit log</h1>
      <ErrorLine message={error} />
      <table class="queue">
        <Head columns={["When", "Who", "What", "To", "Why"]} />
        <tbody>
          {items?.map((entry) => (
            <tr key={entry.id}>
              <td>{new Date(entry.at).toLocaleString()}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td>{entry.target}</td>
              <td>{entry.detail ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

/** A user: block or unblock them, or warn them (the warning arrives in their inbox). */
export function Users({ api }: { api: Api }) {
  const [user, setUser] = useState("");
  const [reason, setReason] = useState("");
  const [warning, setWarning] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (what: "block" | "unblock" | "warn") => {
    const path = { params: { path: { id: user.trim() } } };
    const { error } =
      what === "block"
        ? await api.POST("/v1/admin/users/{id}/block", { ...path, body: { reason } })
        : what === "unblock"
          ? await api.POST("/v1/admin/users/{id}/unblock", path)
          : await api.POST("/v1/admin/users/{id}/warn", { ...path, body: { message: warning } });
    if (error) {
      setError(errorMessage(error, "That did not work."));
      setDone(null);
    } else {
      setError(null);
      setDone(what === "block" ? `${user} is blocked.` : what === "unblock" ? `${user} may write again.` : `${user} was warned.`);
    }
  };
  return (
    <main>
      <h1>Users</h1>
      <form class="moderate" onSubmit={(e) => e.preventDefault()}>
        <label>
          User id
          <input value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          Why block them
          <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button type="button" onClick={() => void act("block")}>
            Block
          </button>
          <button type="button" onClick={() => void act("unblock")}>
            Unblock
          </button>
        </div>
        <label>
          Warning (arrives in their inbox, from SayPro Support)
          <textarea rows={3} value={warning} onInput={(e) => setWarning(e.currentTarget.value)} />
        </label>
        <button type="button" onClick={() => void act("warn")}>
          Warn
        </button>
      </form>
      <ErrorLine message={error} />
      {done && <p role="status">{done}</p>}
    </main>
  );
}

/** Reading any conversation, buyer–seller threads included, with a reason: audited. */
export function ReadThread({ api }: { api: Api }) {
  const [id, setId] = useState("");
  const [reason, setReason] = useState("");
  const [view, setView] = useState<Schemas["ModeratorView"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const read = async (event: Event) => {
    event.preventDefault();
    const { data, error } = await api.GET("/v1/admin/moderation/conversations/{id}", {
      params: { path: { id: id.trim() }, query: { reason } },
    });
    setView(data ?? null);
    setError(data ? null : errorMessage(error, "The conversation could not be read."));
  };
  return (
    <main>
      <h1>Read a conversation</h1>
      <form class="moderate" onSubmit={(e) => void read(e)}>
        <label>
          Conversation id
          <input value={id} onInput={(e) => setId(e.currentTarget.value)} />
        </label>
        <label>
          Why (kept in the audit log)
          <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <button type="submit">Read</button>
      </form>
      <ErrorLine message={error} />
      {view && (
        <section aria-label="The conversation">
          <h2>{view.conversation.subject}</h2>
          <ol class="messages">
            {view.messages.map((m) => (
              <li key={m.id} class={m.hidden ? "reported" : m.sender_role}>
                <p class="who">
                  {m.sender_id}
                  {m.hidden ? " · hidden by a moderator" : ""}
                </p>
                <p class="body">{m.body}</p>
              </li>
            ))}
          </ol>
        </section>
      )}
    </main>
  );
}

/** The safety policy (rate limits, the abuse filter's rules) as its JSON document: the
 *  draft is the text, read back as JSON only when saved. */
export function SafetyPolicy({ api }: { api: Api }) {
  const [load, store] = useMemo(
    () => [
      async (): Promise<{ data?: Versioned<string>; error?: ApiError }> => {
        const { data, error } = await api.GET("/v1/admin/safety-policy", {});
        return data ? { data: { ...data, policy: JSON.stringify(data.policy, null, 2) } } : { error };
      },
      async (version: number, text: string): Promise<{ data?: Versioned<string>; error?: ApiError }> => {
        let policy: Schemas["SafetyPolicy"];
        try {
          policy = JSON.parse(text) as Schemas["SafetyPolicy"];
        } catch {
          // Made here, before any request: no request id.
          return { error: { error: { code: "invalid_request", message: "This is not valid JSON: nothing was saved.", request_id: "" } } };
        }
        const { data, error } = await api.PUT("/v1/admin/safety-policy", { body: { version, policy } });
        return data ? { data: { ...data, policy: JSON.stringify(data.policy, null, 2) } } : { error };
      },
    ],
    [api],
  );
  return (
    <VersionedForm title="Safety policy" load={load} store={store} canSave>
      {({ draft, edit }) => (
        <label>
          Safety policy (JSON)
          <textarea rows={20} value={draft} onInput={(e) => edit(() => e.currentTarget.value)} spellcheck={false} />
        </label>
      )}
    </VersionedForm>
  );
}
