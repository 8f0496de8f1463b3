// The managers' settings, each a form over its versioned document: the SLA policy and
// its calendars, routing, automation and membership rules.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Api, Schemas } from "../api/client";
import { CATEGORIES, TEAMS } from "./labels";
import { Choice, asOptions } from "./parts";
import { Items, Toggles, words } from "./fields";
import { VersionedForm } from "./versioned";

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
const ANY_CATEGORY: [string, string][] = [["", "any category"], ...asOptions(CATEGORIES)];
const PRIORITIES = asOptions(["normal", "urgent"]);

function NumberField({ label, value, onChange, min = 0, max }: { label: string; value: number | undefined; onChange: (v: number) => void; min?: number; max?: number }) {
  return (
    <label>
      {label}
      <input type="number" min={min} max={max} value={value ?? ""} onInput={(e) => onChange(Number(e.currentTarget.value))} />
    </label>
  );
}

function WordsField({ label, value, onChange }: { label: string; value: string[] | undefined; onChange: (v: string[]) => void }) {
  return (
    <label>
      {label}
      <input value={words.show(value)} onChange={(e) => onChange(words.read(e.currentTarget.value))} />
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
          <Items
            noun="target"
            items={draft.targets}
            onChange={(targets) => edit((d) => ({ ...d, targets }))}
            fresh={(): Schemas["TargetRule"] => ({ priority: "normal", category: null, minutes: 1440, counting: "business_days", calendar: Object.keys(draft.calendars)[0] ?? "default" })}
          >
            {(target, set) => (
              <>
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
                <Choice label="Calendar" value={target.calendar} options={asOptions(Object.keys(draft.calendars))} onChange={(v) => set({ calendar: v })} />
              </>
            )}
          </Items>
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
      <Toggles legend="Business days" all={DAYS} chosen={calendar.business_days} onChange={(business_days) => onChange({ ...calendar, business_days })} />
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
          <Items noun="rule" items={draft.rules} onChange={(rules) => edit((d) => ({ ...d, rules }))} fresh={(): Schemas["RoutingRule"] => ({ category: "general", team: "support", keywords: [] })}>
            {(rule, set) => (
              <>
                <Choice label="Category" value={rule.category} options={asOptions(CATEGORIES)} onChange={(v) => set({ category: v as Schemas["Category"] })} />
                <WordsField label="Any of these words" value={rule.keywords} onChange={(keywords) => set({ keywords })} />
                <label>
                  Listing category
                  <input value={rule.listing_category ?? ""} onInput={(e) => set({ listing_category: e.currentTarget.value || null })} />
                </label>
                <label>
                  User tier
                  <input value={rule.user_tier ?? ""} onInput={(e) => set({ user_tier: e.currentTarget.value || null })} />
                </label>
                <Choice label="Team" value={rule.team} options={asOptions(TEAMS)} onChange={(v) => set({ team: v as Schemas["Team"] })} />
                <Choice
                  label="Priority"
                  value={rule.priority ?? ""}
                  options={[["", "the category's"], ...PRIORITIES]}
                  onChange={(v) => set({ priority: (v || null) as Schemas["Priority"] | null })}
                />
              </>
            )}
          </Items>
          <Toggles
            legend="Assign new conversations automatically (to the available agent with the fewest open)"
            all={TEAMS}
            chosen={draft.auto_assign ?? []}
            onChange={(auto_assign) => edit((d) => ({ ...d, auto_assign }))}
          />
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
          <Items
            noun="answer"
            article="an"
            items={draft.answers ?? []}
            onChange={(answers) => edit((d) => ({ ...d, answers }))}
            fresh={(): Schemas["AutoAnswer"] => ({ category: "general", keywords: [], template_id: templates[0]?.[0] ?? "" })}
            disabled={templates.length === 0}
          >
            {(answer, set) => (
              <>
                <Choice label="Category" value={answer.category} options={asOptions(CATEGORIES)} onChange={(v) => set({ category: v as Schemas["Category"] })} />
                <WordsField label="Any of these words" value={answer.keywords} onChange={(keywords) => set({ keywords })} />
                <Choice label="Template" value={answer.template_id} options={templates} onChange={(v) => set({ template_id: v })} />
              </>
            )}
          </Items>
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
          <Items noun="rule" items={draft.rules} onChange={(rules) => edit((d) => ({ ...d, rules }))} fresh={(): Schemas["MembershipRule"] => ({ type: "direct", tiers: ["verified", "premium"] })}>
            {(rule, set) => (
              <>
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
                <WordsField label="Tiers that may (separated by commas)" value={rule.tiers} onChange={(tiers) => set({ tiers })} />
              </>
            )}
          </Items>
        </>
      )}
    </VersionedForm>
  );
}
