// The queue: the caller's teams' conversations, soonest due first, filtered, with SLA
// badges that count down, updated live.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Conversation, errorMessage } from "../api/client";
import { CATEGORIES, TEAMS } from "./labels";
import { Choice, ErrorLine, Head } from "./parts";
import { slaBadge } from "./sla";

export interface Filters {
  /** `snoozed`: the pending ones an admin snoozed (the API's `snoozed=true`). */
  status: "open" | "pending" | "snoozed" | "resolved" | "merged";
  team: "" | "support" | "sales" | "technical" | "billing";
  category: "" | "general" | "payment" | "technical" | "complaint" | "account";
  assignee: "" | "me" | "none";
  priority: "" | "normal" | "urgent";
}

export const DEFAULT_FILTERS: Filters = { status: "open", team: "", category: "", assignee: "", priority: "" };

/** Saved views: named filters, kept in this browser. */
const VIEWS = "saypro.console.views";

export function savedViews(): Record<string, Filters> {
  try {
    return JSON.parse(localStorage.getItem(VIEWS) ?? "{}") as Record<string, Filters>;
  } catch {
    return {};
  }
}

function saveView(name: string, filters: Filters): Record<string, Filters> {
  const views = { ...savedViews(), [name]: filters };
  localStorage.setItem(VIEWS, JSON.stringify(views));
  return views;
}

export function Queue({
  api,
  version,
  now,
  viewing,
}: {
  api: Api;
  version: number;
  now: Date;
  /** Who else has each conversation open. */
  viewing: Record<string, string[]>;
}) {
  const [filters, setFilters] = useState<Filters>(DEFAULT_FILTERS);
  const [views, setViews] = useState(savedViews());
  const [viewName, setViewName] = useState("");
  const [rows, setRows] = useState<Conversation[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  /** How many pages are shown: a live refresh re-reads as many. */
  const [pages, setPages] = useState(1);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    const query: Record<string, string> =
      filters.status === "snoozed"
        ? { sort: "due", snoozed: "true", limit: "50" }
        : { sort: "due", status: filters.status, limit: "50" };
    if (filters.team) query.team = filters.team;
    if (filters.category) query.category = filters.category;
    if (filters.assignee) query.assignee = filters.assignee;
    if (filters.priority) query.priority = filters.priority;
    const read = (cursor: string | null) =>
      api.GET("/v1/admin/conversations", { params: { query: cursor ? { ...query, cursor } : query } });
    void (async () => {
      const all: Conversation[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < pages; page += 1) {
        const { data, error }: Awaited<ReturnType<typeof read>> = await read(cursor);
        if (!current) return;
        if (!data) return setError(errorMessage(error, "The queue could not be read."));
        all.push(...data.items);
        cursor = data.next_cursor ?? null;
        if (!cursor) break;
      }
      setRows(all);
      setNext(cursor);
      setError(null);
    })();
    return () => {
      current = false;
    };
  }, [api, filters, version, pages]);
  const choose = (field: keyof Filters) => (value: string) => {
    setFilters({ ...filters, [field]: value });
    setPages(1);
  };
  return (
    <main>
      <h1>Queue</h1>
      <form class="filters" aria-label="Filters">
        <Choice
          label="Status"
          value={filters.status}
          onChange={choose("status")}
          options={[
            ["open", "Open"],
            ["pending", "Pending"],
            ["snoozed", "Snoozed"],
            ["resolved", "Resolved"],
            ["merged", "Merged"],
          ]}
        />
        <Choice
          label="Team"
          value={filters.team}
          onChange={choose("team")}
          options={[["", "All my teams"], ...TEAMS.map((t): [string, string] => [t, t])]}
        />
        <Choice
          label="Category"
          value={filters.category}
          onChange={choose("category")}
          options={[["", "Any"], ...CATEGORIES.map((c): [string, string] => [c, c])]}
        />
        <Choice
          label="Assignee"
          value={filters.assignee}
          onChange={choose("assignee")}
          options={[["", "Anyone"], ["me", "Me"], ["none", "Nobody"]]}
        />
        <Choice
          label="Priority"
          value={filters.priority}
          onChange={choose("priority")}
          options={[["", "Any"], ["urgent", "Urgent"], ["normal", "Normal"]]}
        />
      </form>
      <form
        class="views"
        aria-label="Saved views"
        onSubmit={(event) => {
          event.preventDefault();
          if (viewName.trim()) setViews(saveView(viewName.trim(), filters));
          setViewName("");
        }}
      >
        {Object.entries(views).map(([name, saved]) => (
          <button type="button" key={name} onClick={() => setFilters({ ...DEFAULT_FILTERS, ...saved })}>
            {name}
          </button>
        ))}
        <label>
          Save these filters as
          <input value={viewName} onInput={(e) => setViewName(e.currentTarget.value)} />
        </label>
        <button type="submit">Save view</button>
      </form>
      <ErrorLine message={error} />
      {rows && rows.length === 0 && <p>Nothing here: the queue is clear.</p>}
      {rows && rows.length > 0 && (
        <table class="queue">
          <Head columns={["Subject", "User", "Category", "Priority", "Waiting", "SLA", "Unread"]} />
          <tbody>
            {rows.map((c) => {
              const badge = slaBadge(c.sla, now);
              return (
                <tr key={c.id}>
                  <td>
                    <a href={`#/c/${c.id}`}>{c.subject}</a>
                    {(viewing[c.id] ?? []).length > 0 && (
                      <span class="viewing"> · open by {(viewing[c.id] ?? []).join(", ")}</span>
                    )}
                  </td>
                  <td>{c.created_by}</td>
                  <td>{c.category}</td>
                  <td>{c.priority}</td>
                  <td>
                    {c.snoozed_until ? `snoozed until ${new Date(c.snoozed_until).toLocaleString()}` : waited(c.last_message_at, now)}
                    {c.merged_into && <> · into <a href={`#/c/${c.merged_into}`}>{c.merged_into}</a></>}
                  </td>
                  <td>
                    <span class={`badge ${badge.state}`}>{badge.label}</span>
                  </td>
                  <td>{c.unread_count > 0 ? <strong>{c.unread_count} new</strong> : ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" onClick={() => setPages(pages + 1)}>
          Show more
        </button>
      )}
    </main>
  );
}

function waited(since: string, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - new Date(since).getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
  return `${Math.round(minutes / 1440)} days`;
}
