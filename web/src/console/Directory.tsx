// The team's directory and tools: agents (capacity, working hours, away), reply
// templates (create, edit, preview with sample values, usage), and webhooks with their
// delivery log.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Schemas, errorMessage } from "../api/client";
import { CATEGORIES, TEAMS } from "./labels";
import { Choice, ErrorLine, Head, asOptions } from "./parts";
import { Toggles } from "./fields";

type Agent = Schemas["Agent"];

export function AgentsPage({ api, canEdit }: { api: Api; canEdit: boolean }) {
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    void api.GET("/v1/admin/agents", {}).then(({ data, error }) => {
      setAgents(data?.items ?? null);
      setError(data ? null : errorMessage(error, "The agents could not be read."));
    });
  }, [api]);
  const change = async (agent: Agent, changes: Schemas["AgentChanges"]) => {
    const { data, error } = await api.PATCH("/v1/admin/agents/{id}", { params: { path: { id: agent.id } }, body: changes });
    if (data) {
      setAgents((all) => all?.map((a) => (a.id === data.id ? data : a)) ?? null);
      setSaved(`${data.contact.name ?? data.id}: saved.`);
      setError(null);
    } else setError(errorMessage(error, "That was not saved."));
  };
  return (
    <main>
      <h1>Agents</h1>
      <p class="hint">Teams and roles come from each admin's sign-in groups.{canEdit ? "" : " Only managers change these."}</p>
      <ErrorLine message={error} />
      {saved && <p role="status">{saved}</p>}
      <table class="queue">
        <Head columns={["Agent", "Teams", "Open now", "Capacity", "Working hours", "Away"]} />
        <tbody>
          {agents?.map((agent) => (
            <AgentRow key={agent.id} agent={agent} canEdit={canEdit} onChange={(c) => void change(agent, c)} />
          ))}
        </tbody>
      </table>
    </main>
  );
}

function AgentRow({ agent, canEdit, onChange }: { agent: Agent; canEdit: boolean; onChange: (c: Schemas["AgentChanges"]) => void }) {
  const name = agent.contact.name ?? agent.id;
  const [capacity, setCapacity] = useState(agent.capacity);
  const [hours, setHours] = useState(agent.working_hours ?? null);
  return (
    <tr>
      <th scope="row">{name}</th>
      <td>{agent.teams.join(", ") || (agent.roles.includes("agent") ? "none" : "every team")}</td>
      <td>{agent.open_count}</td>
      <td>
        <input
          type="number"
          min={0}
          max={500}
          aria-label={`Capacity of ${name}`}
          disabled={!canEdit}
          value={capacity}
          onInput={(e) => setCapacity(Number(e.currentTarget.value))}
          onChange={() => onChange({ capacity })}
        />
      </td>
      <td>
        <input
          type="time"
          aria-label={`${name} starts at`}
          disabled={!canEdit}
          value={hours?.start ?? ""}
          onInput={(e) => setHours({ start: e.currentTarget.value, end: hours?.end ?? "17:00" })}
          onChange={() => onChange({ working_hours: hours?.start ? hours : null })}
        />{" "}
        to{" "}
        <input
          type="time"
          aria-label={`${name} ends at`}
          disabled={!canEdit}
          value={hours?.end ?? ""}
          onInput={(e) => setHours({ start: hours?.start ?? "08:00", end: e.currentTarget.value })}
          onChange={() => onChange({ working_hours: hours?.end ? hours : null })}
        />
      </td>
      <td>
        <input
          type="checkbox"
          aria-label={`${name} is away`}
          disabled={!canEdit}
          checked={agent.away}
          onChange={(e) => onChange({ away: e.currentTarget.checked })}
        />
      </td>
    </tr>
  );
}

type Template = Schemas["Template"];
const ANY: [string, string] = ["", "every"];

export function TemplatesPage({ api }: { api: Api }) {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [editing, setEditing] = useState<Template | "new" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void api.GET("/v1/admin/templates", {}).then(({ data, error }) => {
      setTemplates(data?.items ?? null);
      setError(data ? null : errorMessage(error, "The templates could not be read."));
    });
  }, [api, version]);
  const remove = async (template: Template) => {
    if (!confirm(`Delete the template “${template.name}”?`)) return;
    const { error } = await api.DELETE("/v1/admin/templates/{id}", { params: { path: { id: template.id } } });
    if (error) setError(errorMessage(error, "The template was not deleted."));
    else setVersion((v) => v + 1);
  };
  return (
    <main>
      <h1>Templates</h1>
      <ErrorLine message={error} />
      <button type="button" onClick={() => setEditing("new")}>
        New template
      </button>
      {editing && (
        <TemplateForm
          api={api}
          template={editing === "new" ? null : editing}
          onDone={() => {
            setEditing(null);
            setVersion((v) => v + 1);
          }}
        />
      )}
      <table class="queue">
        <Head columns={["Name", "Team", "Category", "Used", "Placeholders", ""]} />
        <tbody>
          {templates?.map((t) => (
            <tr key={t.id}>
              <th scope="row">{t.name}</th>
              <td>{t.team ?? "every team"}</td>
              <td>{t.category ?? "any"}</td>
              <td>{t.usage_count}</td>
              <td>{t.placeholders.join(", ")}</td>
              <td class="actions">
                <button type="button" onClick={() => setEditing(t)}>
                  Edit {t.name}
                </button>
                <button type="button" onClick={() => void remove(t)}>
                  Delete {t.name}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

function TemplateForm({ api, template, onDone }: { api: Api; template: Template | null; onDone: () => void }) {
  const [name, setName] = useState(template?.name ?? "");
  const [team, setTeam] = useState<string>(template?.team ?? "");
  const [category, setCategory] = useState<string>(template?.category ?? "");
  const [body, setBody] = useState(template?.body ?? "Hi {{user.first_name | \"there\"}},\n\n\n\n{{agent.first_name}}, SayPro Support");
  const [preview, setPreview] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const request = {
    name,
    body,
    team: (team || null) as Schemas["Team"] | null,
    category: (category || null) as Schemas["Category"] | null,
  };
  const save = async (event: Event) => {
    event.preventDefault();
    const { data, error } = template
      ? await api.PUT("/v1/admin/templates/{id}", { params: { path: { id: template.id } }, body: request })
      : await api.POST("/v1/admin/templates", { body: request });
    if (data) onDone();
    else setError(errorMessage(error, "The template was not saved."));
  };
  const show = async () => {
    // A preview fills the saved template: save the edit first, then look.
    if (!template) return setPreview("Save the template first to preview it with sample values.");
    const { data, error } = await api.POST("/v1/admin/templates/{id}/preview", { params: { path: { id: template.id } }, body: {} });
    setPreview(data?.body ?? null);
    setError(data ? null : errorMessage(error, "The preview could not be made."));
  };
  return (
    <form class="moderate" onSubmit={(e) => void save(e)} aria-label={template ? `Edit ${template.name}` : "New template"}>
      <label>
        Name
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <Choice label="Team" value={team} options={[ANY, ...asOptions(TEAMS)]} onChange={setTeam} />
      <Choice label="Category" value={category} options={[["", "any"], ...asOptions(CATEGORIES)]} onChange={setCategory} />
      <label>
        Text ({"{{user.first_name}}"}, {"{{listing.title}}"}, {"{{agent.first_name}}"}, {"{{var.name}}"} …)
        <textarea rows={6} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
      </label>
      <div class="actions">
        <button type="submit">Save</button>
        <button type="button" onClick={() => void show()}>
          Preview with sample values
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      <ErrorLine message={error} />
      {preview !== null && (
        <section aria-label="Preview" class="chosen">
          <p class="body">{preview}</p>
        </section>
      )}
    </form>
  );
}

const EVENTS: Schemas["WebhookEvent"][] = [
  "conversation.created",
  "message.created",
  "status.changed",
  "sla.breached",
  "conversation.merged",
];

export function WebhooksPage({ api }: { api: Api }) {
  const [hooks, setHooks] = useState<Schemas["Webhook"][] | null>(null);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<Schemas["WebhookEvent"][]>(["conversation.created"]);
  const [secret, setSecret] = useState<string | null>(null);
  const [log, setLog] = useState<{ id: string; items: Schemas["Delivery"][] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    void api.GET("/v1/admin/webhooks", {}).then(({ data, error }) => {
      setHooks(data?.items ?? null);
      setError(data ? null : errorMessage(error, "The webhooks could not be read."));
    });
  }, [api, version]);
  const add = async (event: Event) => {
    event.preventDefault();
    const { data, error } = await api.POST("/v1/admin/webhooks", { body: { url, events } });
    if (!data) return setError(errorMessage(error, "The webhook was not registered."));
    setSecret(data.secret ?? null);
    setUrl("");
    setVersion((v) => v + 1);
  };
  const remove = async (id: string) => {
    const { error } = await api.DELETE("/v1/admin/webhooks/{id}", { params: { path: { id } } });
    if (error) setError(errorMessage(error, "The webhook was not removed."));
    else setVersion((v) => v + 1);
  };
  const deliveries = async (id: string) => {
    const { data, error } = await api.GET("/v1/admin/webhooks/{id}/deliveries", { params: { path: { id } } });
    if (data) setLog({ id, items: data.items });
    else setError(errorMessage(error, "The deliveries could not be read."));
  };
  return (
    <main>
      <h1>Webhooks</h1>
      <form class="moderate" onSubmit={(e) => void add(e)}>
        <label>
          Endpoint (https://)
          <input type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <Toggles legend="Events" all={EVENTS} chosen={events} onChange={setEvents} />
        <button type="submit">Register</button>
      </form>
      {secret && (
        <p role="status">
          Its signing secret, shown this once: <code>{secret}</code>
        </p>
      )}
      <ErrorLine message={error} />
      <table class="queue">
        <Head columns={["Endpoint", "Events", "Since", ""]} />
        <tbody>
          {hooks?.map((hook) => (
            <tr key={hook.id}>
              <th scope="row">{hook.url}</th>
              <td>{hook.events.join(", ")}</td>
              <td>{new Date(hook.created_at).toLocaleDateString()}</td>
              <td class="actions">
                <button type="button" onClick={() => void deliveries(hook.id)}>
                  Deliveries
                </button>
                <button type="button" onClick={() => void remove(hook.id)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {log && (
        <section aria-labelledby="deliveries-heading">
          <h2 id="deliveries-heading">Latest deliveries</h2>
          {log.items.length === 0 && <p>None yet.</p>}
          <ol class="held">
            {log.items.map((d) => (
              <li key={d.id}>
                <p class="who">
                  {d.event} · {d.state} · {d.attempts} attempts · {new Date(d.created_at).toLocaleString()}
                  {d.next_attempt_at ? ` · next ${new Date(d.next_attempt_at).toLocaleString()}` : ""}
                </p>
                <p>{d.last_result}</p>
              </li>
            ))}
          </ol>
        </section>
      )}
    </main>
  );
}
