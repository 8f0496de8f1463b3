// The managers' settings, each a form over its versioned document: the SLA policy and
// its calendars, routing, automation and membership rules.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Api, Schemas } from "../api/client";
import { CATEGORIES, TEAMS } from "./labels";
import { Choice } from "./parts";
import { VersionedForm, replaced, words } from "./versioned";

/** The settings pages a senior or manager may open, each in a line. */
export function SettingsIndex({ manager }: { manager: boolean }) {
  const pages: [string, string, string][] = [
    ["agents", "Agents", "teams, capacity, working hours, away"],
    ["templates", "Templates", "reply templates: create, edit, preview, how often used"],
    ["routing", "Routing rules", "which team and priority a new conversation gets"],
    ["sla", "SLA policy", "targets, business days and hours, holidays, warnings, escalation"],
    ["automation", "Automation", "acknowledgements and automatic answers"],
    ["membership", "Membership rules", "who may start which conversation"],
  ];
  if (manager) pages.push(["webhooks", "Webhooks", "the CRM's endpoints and their delivery log"]);
  return (
    <main>
      <h1>Settings</h1>
      {!manager && <p class="hint">Seniors read these; managers change them (templates: seniors too).</p>}
      <ul class="settings-index">
        {pages.map(([path, name, what]) => (
          <li key={path}>
            <a href={`#/settings/${path}`}>{name}</a>: {what}
          </li>
        ))}
      </ul>
    </main>
  );
}

type Sla = Schemas["SlaPolicyConfig"];
type Calendar = Schemas["CalendarConfig"];
const DAYS: Schemas["BusinessDay"][] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const ANY_CATEGORY: [string, string][] = [["", "any category"], ...CATEGORIES.map((c): [string, string] => [c, c])];
const PRIORITIES: [string, string][] = [
  ["normal", "normal"],
  ["urgent", "urgent"],
];

function NumberField({ label, value, onChange, min = 0, max }: { label: string; value: number | undefined; onChange: (v: number) => void; min?: number; max?: number }) {
  return (
    <label>
      {label}
      <input type="number" min={min} max={max} value={value ?? ""} onInput={(e) => onChange(Number(e.currentTarget.value))} />
    </label>
  );
}

export function SlaPolicyPage({ api, canSave }: { api: Api; canSave: boolean }) {
  const [load, store] = useMemo(
    () => [
      () => api.GET("/v1/admin/sla-policy", {}),
      (version: number, policy: Sla) => api.PUT("/v1/admin/sla-policy", { body: { version, policy } }),
    ],
    [api],
  );
  return (
    <VersionedForm title="SLA policy" load={load} store={store} canSave={canSave}>
      {({ draft, edit }) => (
        <>
          <div class="row">
            <NumberField
              label="Warn the assignee at (% of the time used)"
              min={1}
              max={99}
              value={draft.warn_at_percent}
              onChange={(v) => edit((d) => ({ ...d, warn_at_percent: v }))}
            />
            <NumberField
              label="Escalate to a manager after the breach (minutes)"
              value={draft.manager_after_minutes}
              onChange={(v) => edit((d) => ({ ...d, manager_after_minutes: v }))}
            />
            <NumberField
              label="Resolve within (minutes)"
              value={draft.resolution_minutes}
              onChange={(v) => edit((d) => ({ ...d, resolution_minutes: v }))}
            />
          </div>
          <h2>Response targets</h2>
          <p class="hint">The most specific rule wins: a category's rule before its priority's general rule.</p>
          {draft.targets.map((target, i) => {
            const set = (change: Partial<Schemas["TargetRule"]>) =>
              edit((d) => ({ ...d, targets: replaced(d.targets, i, (t) => ({ ...t, ...change })) }));
            return (
              <fieldset class="row" key={i}>
                <legend>Target {i + 1}</legend>
                <Choice label="Priority" value={target.priority} options={PRIORITIES} onChange={(v) => set({ priority: v as Schemas["Priority"] })} />
                <Choice
                  label="Category"
                  value={target.category ?? ""}
                  options={ANY_CATEGORY}
                  onChange={(v) => set({ category: (v || null) as Schemas["Category"] | null })}
                />
                <NumberField label="Within (minutes)" value={target.minutes} onChange={(v) => set({ minutes: v })} />
                <Choice
                  label="Counted in"
                  value={target.counting}
                  options={[
                    ["business_days", "business time"],
                    ["wall", "wall-clock time"],
                  ]}
                  onChange={(v) => set({ counting: v as Schemas["Counting"] })}
                />
                <Choice
                  label="Calendar"
                  value={target.calendar}
                  options={Object.keys(draft.calendars).map((name): [string, string] => [name, name])}
                  onChange={(v) => set({ calendar: v })}
                />
                <button type="button" onClick={() => edit((d) => ({ ...d, targets: d.targets.filter((_, j) => j !== i) }))}>
                  Remove target {i + 1}
                </button>
              </fieldset>
            );
          })}
          <button
            type="button"
            onClick={() =>
              edit((d) => ({
                ...d,
                targets: [
                  ...d.targets,
                  { priority: "normal", category: null, minutes: 1440, counting: "business_days", calendar: Object.keys(d.calendars)[0] ?? "default" },
                ],
              }))
            }
          >
            Add a target
          </button>
          <h2>Calendars</h2>
          {Object.entries(draft.calendars).map(([name, calendar]) => (
            <CalendarFields
              key={name}
              name={name}
              calendar={calendar}
              onChange={(next) => edit((d) => ({ ...d, calendars: { ...d.calendars, [name]: next } }))}
            />
          ))}
        </>
      )}
    </VersionedForm>
  );
}

function CalendarFields({ name, calendar, onChange }: { name: string; calendar: Calendar; onChange: (c: Calendar) => void }) {
  return (
    <fieldset>
      <legend>Calendar “{name}”</legend>
      <div class="row">
        <label>
          Time zone
          <input value={calendar.time_zone} onInput={(e) => onChange({ ...calendar, time_zone: e.currentTarget.value })} />
        </label>
        <label>
          Business day ends at
          <input
            type="time"
            value={calendar.business_day_end.slice(0, 5)}
            onInput={(e) => onChange({ ...calendar, business_day_end: e.currentTarget.value })}
          />
        </label>
      </div>
      <fieldset class="days">
        <legend>Business days</legend>
        {DAYS.map((day) => (
          <label class="toggle" key={day}>
            <input
              type="checkbox"
              checked={calendar.business_days.includes(day)}
              onChange={(e) =>
                onChange({
                  ...calendar,
                  business_days: e.currentTarget.checked
                    ? DAYS.filter((d) => d === day || calendar.business_days.includes(d))
                    : calendar.business_days.filter((d) => d !== day),
                })
              }
            />
            {day}
          </label>
        ))}
      </fieldset>
      <label>
        Holidays (dates, yyyy-mm-dd, separated by commas)
        <textarea rows={2} value={words.show(calendar.holidays)} onChange={(e) => onChange({ ...calendar, holidays: words.read(e.currentTarget.value) })} />
      </label>
    </fieldset>
  );
}

type Routing = Schemas["RoutingRules"];

export function RoutingRulesPage({ api, canSave }: { api: Api; canSave: boolean }) {
  const [load, store] = useMemo(
    () => [
      () => api.GET("/v1/admin/routing-rules", {}),
      (version: number, policy: Routing) => api.PUT("/v1/admin/routing-rules", { body: { version, policy } }),
    ],
    [api],
  );
  return (
    <VersionedForm title="Routing rules" load={load} store={store} canSave={canSave}>
      {({ draft, edit }) => (
        <>
          <p class="hint">Tried in order; the first match wins; then the defaults (payment → billing, technical → technical, the rest → support).</p>
          {draft.rules.map((rule, i) => {
            const set = (change: Partial<Schemas["RoutingRule"]>) =>
              edit((d) => ({ ...d, rules: replaced(d.rules, i, (r) => ({ ...r, ...change })) }));
            return (
              <fieldset class="row" key={i}>
                <legend>Rule {i + 1}</legend>
                <Choice
                  label="Category"
                  value={rule.category}
                  options={CATEGORIES.map((c): [string, string] => [c, c])}
                  onChange={(v) => set({ category: v as Schemas["Category"] })}
                />
                <label>
                  Any of these words
                  <input value={words.show(rule.keywords)} onChange={(e) => set({ keywords: words.read(e.currentTarget.value) })} />
                </label>
                <label>
                  Listing category
                  <input value={rule.listing_category ?? ""} onInput={(e) => set({ listing_category: e.currentTarget.value || null })} />
                </label>
                <label>
                  User tier
                  <input value={rule.user_tier ?? ""} onInput={(e) => set({ user_tier: e.currentTarget.value || null })} />
                </label>
                <Choice label="Team" value={rule.team} options={TEAMS.map((t): [string, string] => [t, t])} onChange={(v) => set({ team: v as Schemas["Team"] })} />
                <Choice
                  label="Priority"
                  value={rule.priority ?? ""}
                  options={[["", "the category's"], ...PRIORITIES]}
                  onChange={(v) => set({ priority: (v || null) as Schemas["Priority"] | null })}
                />
                <button type="button" onClick={() => edit((d) => ({ ...d, rules: d.rules.filter((_, j) => j !== i) }))}>
                  Remove rule {i + 1}
                </button>
              </fieldset>
            );
          })}
          <button type="button" onClick={() => edit((d) => ({ ...d, rules: [...d.rules, { category: "general", team: "support", keywords: [] }] }))}>
            Add a rule
          </button>
          <fieldset class="days">
            <legend>Assign new conversations automatically (to the available agent with the fewest open)</legend>
            {TEAMS.map((team) => (
              <label class="toggle" key={team}>
                <input
                  type="checkbox"
                  checked={(draft.auto_assign ?? []).includes(team)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    edit((d) => ({ ...d, auto_assign: TEAMS.filter((t) => (t === team ? on : (d.auto_assign ?? []).includes(t))) }));
                  }}
                />
                {team}
              </label>
            ))}
          </fieldset>
        </>
      )}
    </VersionedForm>
  );
}

type Automation = Schemas["AutomationRules"];

export function AutomationPage({ api, canSave }: { api: Api; canSave: boolean }) {
  const [templates, setTemplates] = useState<[string, string][]>([]);
  useEffect(() => {
    void api.GET("/v1/admin/templates", {}).then(({ data }) => setTemplates(data?.items.map((t): [string, string] => [t.id, t.name]) ?? []));
  }, [api]);
  const [load, store] = useMemo(
    () => [
      () => api.GET("/v1/admin/automation-rules", {}),
      (version: number, policy: Automation) => api.PUT("/v1/admin/automation-rules", { body: { version, policy } }),
    ],
    [api],
  );
  return (
    <VersionedForm title="Automation" load={load} store={store} canSave={canSave}>
      {({ draft, edit }) => (
        <>
          <label class="toggle">
            <input type="checkbox" checked={draft.acknowledge ?? false} onChange={(e) => edit((d) => ({ ...d, acknowledge: e.currentTarget.checked }))} />
            Acknowledge every new support conversation with the time an answer is due
          </label>
          <h2>Automatic answers</h2>
          <p class="hint">Tried in order; the first match answers with its template.</p>
          {(draft.answers ?? []).map((answer, i) => {
            const set = (change: Partial<Schemas["AutoAnswer"]>) =>
              edit((d) => ({ ...d, answers: replaced(d.answers ?? [], i, (a) => ({ ...a, ...change })) }));
            return (
              <fieldset class="row" key={i}>
                <legend>Answer {i + 1}</legend>
                <Choice
                  label="Category"
                  value={answer.category}
                  options={CATEGORIES.map((c): [string, string] => [c, c])}
                  onChange={(v) => set({ category: v as Schemas["Category"] })}
                />
                <label>
                  Any of these words
                  <input value={words.show(answer.keywords)} onChange={(e) => set({ keywords: words.read(e.currentTarget.value) })} />
                </label>
                <Choice label="Template" value={answer.template_id} options={templates} onChange={(v) => set({ template_id: v })} />
                <button type="button" onClick={() => edit((d) => ({ ...d, answers: (d.answers ?? []).filter((_, j) => j !== i) }))}>
                  Remove answer {i + 1}
                </button>
              </fieldset>
            );
          })}
          <button
            type="button"
            disabled={templates.length === 0}
            onClick={() =>
              edit((d) => ({ ...d, answers: [...(d.answers ?? []), { category: "general", keywords: [], template_id: templates[0]?.[0] ?? "" }] }))
            }
          >
            Add an answer
          </button>
        </>
      )}
    </VersionedForm>
  );
}

type Membership = Schemas["MembershipRules"];

export function MembershipPage({ api, canSave }: { api: Api; canSave: boolean }) {
  const [load, store] = useMemo(
    () => [
      () => api.GET("/v1/admin/membership-rules", {}),
      (version: number, policy: Membership) => api.PUT("/v1/admin/membership-rules", { body: { version, policy } }),
    ],
    [api],
  );
  return (
    <VersionedForm title="Membership rules" load={load} store={store} canSave={canSave}>
      {({ draft, edit }) => (
        <>
          <p class="hint">Who may start which kind of conversation. No rule: everyone signed in may.</p>
          {draft.rules.map((rule, i) => {
            const set = (change: Partial<Schemas["MembershipRule"]>) =>
              edit((d) => ({ ...d, rules: replaced(d.rules, i, (r) => ({ ...r, ...change })) }));
            return (
              <fieldset class="row" key={i}>
                <legend>Rule {i + 1}</legend>
                <Choice
                  label="Conversation"
                  value={rule.type}
                  options={[
                    ["support", "with the admin team"],
                    ["direct", "buyer and seller"],
                  ]}
                  onChange={(v) => set({ type: v as Schemas["ConversationType"] })}
                />
                <Choice
                  label="Category (support)"
                  value={rule.category ?? ""}
                  options={ANY_CATEGORY}
                  onChange={(v) => set({ category: (v || null) as Schemas["Category"] | null })}
                />
                <label>
                  Tiers that may (separated by commas)
                  <input value={words.show(rule.tiers)} onChange={(e) => set({ tiers: words.read(e.currentTarget.value) })} />
                </label>
                <button type="button" onClick={() => edit((d) => ({ ...d, rules: d.rules.filter((_, j) => j !== i) }))}>
                  Remove rule {i + 1}
                </button>
              </fieldset>
            );
          })}
          <button type="button" onClick={() => edit((d) => ({ ...d, rules: [...d.rules, { type: "direct", tiers: ["verified", "premium"] }] }))}>
            Add a rule
          </button>
        </>
      )}
    </VersionedForm>
  );
}
