// The admin console: sign in, then the queue and its conversations, live.
import { type JSX, render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { apiClient } from "../api/client";
import { type Config, loadConfig } from "./config";
import { ConversationPage } from "./ConversationPage";
import { Live } from "../api/live";
import { AuditLog, HeldQueue, ReadThread, Reports, SafetyPolicy, Users } from "./Moderation";
import { Queue } from "./Queue";
import { SearchPage } from "./SearchPage";
import { SHORTCUTS, typingInField } from "./shortcuts";
import { completeSignIn, forget, logoutUrl, refresh } from "./cognito";
import { type Session, restore, rolesOf, signIn, signOut } from "./session";
import { SignIn } from "./SignIn";

/** The page the hash names: `#/` the queue, `#/c/<id>` a conversation. */
function useRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

type Managers = typeof import("./managers");

/** The managers' pages, fetched the first time `wanted`. */
function useManagers(wanted: boolean): Managers | null {
  const [pages, setPages] = useState<Managers | null>(null);
  useEffect(() => {
    if (wanted && !pages) void import("./managers").then(setPages);
  }, [wanted, pages]);
  return pages;
}

/** The time, every 15 seconds: SLA badges count down without a reload. */
function useNow(): Date {
  const [now, setNow] = useState(new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 15_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function Console({ config, session, onSignOut }: { config: Config; session: Session; onSignOut: () => void }) {
  const api = useMemo(() => apiClient(config.api, async () => session.token), [config, session]);
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState<Live | null>(null);
  /** Per conversation: who is typing (until when, ms) and who has it open. */
  const [typing, setTyping] = useState<Record<string, Record<string, number>>>({});
  const [viewing, setViewing] = useState<Record<string, string[]>>({});
  const route = useRoute();
  const now = useNow();
  const [, setTick] = useState(0);
  useEffect(() => {
    // Typing shown goes once a typist has been silent for 6 seconds.
    const timer = setInterval(() => setTick((t) => t + 1), 1_000);
    return () => clearInterval(timer);
  }, []);
  const roles = rolesOf(session.claims);
  const works = roles.admin || roles.moderator;
  useEffect(() => {
    // Anything that changes a conversation refreshes what is on screen (finance has no
    // conversations: no socket).
    if (!works) return;
    const refresh = () => setVersion((v) => v + 1);
    const socket = new Live(
      api,
      (event) => {
        const conversation = String(event.conversation_id ?? "");
        const user = String(event.user_id ?? "");
        if (event.type === "message.created" || event.type === "conversation.updated") refresh();
        if (event.type === "message.created") {
          setTyping((all) => ({ ...all, [conversation]: {} }));
        } else if (event.type === "typing") {
          setTyping((all) => ({
            ...all,
            [conversation]: { ...all[conversation], [user]: event.state === "on" ? Date.now() + 6_000 : 0 },
          }));
        } else if (event.type === "viewing") {
          setViewing((all) => {
            const others = (all[conversation] ?? []).filter((u) => u !== user);
            return { ...all, [conversation]: event.state === "on" ? [...others, user] : others };
          });
        }
      },
      refresh,
      roles.admin,
    );
    setLive(socket);
    void socket.open();
    return () => socket.close();
  }, [api, works, roles.admin]);
  const tell = useMemo(() => (action: object) => live?.send(action), [live]);
  const [help, setHelp] = useState(false);
  useEffect(() => {
    let pending = "";
    const keys = (event: KeyboardEvent) => {
      if (event.key === "Escape") setHelp(false);
      if (typingInField(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      const key = pending ? `${pending} ${event.key}` : event.key;
      pending = "";
      if (key === "?") setHelp((shown) => !shown);
      else if (key === "s") {
        event.preventDefault();
        document.getElementById("search")?.focus();
      } else if (key === "r") {
        event.preventDefault();
        document.getElementById("reply")?.focus();
      } else if (key === "g q") location.hash = "#/";
      else if (key === "g") pending = "g";
      else if (key === "e") document.getElementById("resolve-next")?.click();
    };
    addEventListener("keydown", keys);
    return () => removeEventListener("keydown", keys);
  }, []);
  const open = route.match(/^#\/c\/([A-Za-z0-9]+)$/)?.[1];
  const searched = route.startsWith("#/search?") ? new URLSearchParams(route.slice(9)).get("q") : null;
  const [query, setQuery] = useState(searched ?? "");
  const moderation: Record<string, () => JSX.Element> = {
    "#/held": () => <HeldQueue api={api} />,
    "#/reports": () => <Reports api={api} />,
    "#/read": () => <ReadThread api={api} />,
    "#/users": () => <Users api={api} />,
    "#/safety": () => <SafetyPolicy api={api} />,
    "#/audit": () => <AuditLog api={api} />,
  };
  /** Who may open each of the managers' pages, and the page. */
  const managing: Record<string, [boolean, (m: Managers) => JSX.Element]> = {
    "#/dashboard": [roles.supervisor, (m) => <m.Dashboard api={api} version={version} />],
    "#/report": [roles.manager, (m) => <m.ReportPage api={api} now={now} />],
    "#/cost": [roles.finance, (m) => <m.CostPage api={api} now={now} />],
    "#/broadcasts": [roles.supervisor, (m) => <m.Broadcasts api={api} />],
    "#/settings": [roles.supervisor, (m) => <m.SettingsIndex manager={roles.manager} />],
    "#/settings/agents": [roles.supervisor, (m) => <m.AgentsPage api={api} canEdit={roles.manager} />],
    "#/settings/templates": [roles.supervisor, (m) => <m.TemplatesPage api={api} />],
    "#/settings/routing": [roles.supervisor, (m) => <m.RoutingRulesPage api={api} canSave={roles.manager} />],
    "#/settings/sla": [roles.supervisor, (m) => <m.SlaPolicyPage api={api} canSave={roles.manager} />],
    "#/settings/automation": [roles.supervisor, (m) => <m.AutomationPage api={api} canSave={roles.manager} />],
    "#/settings/membership": [roles.supervisor, (m) => <m.MembershipPage api={api} canSave={roles.manager} />],
    "#/settings/webhooks": [roles.manager, (m) => <m.WebhooksPage api={api} />],
  };
  const named = managing[route];
  // Finance has one page: the cost, wherever they go.
  const financeOnly = roles.finance && !roles.admin && !roles.moderator;
  const wanted = named?.[0] ? named[1] : financeOnly ? (m: Managers) => <m.CostPage api={api} now={now} /> : null;
  const managers = useManagers(wanted !== null);
  const page = (): JSX.Element | null => {
    if (wanted)
      return managers ? (
        wanted(managers)
      ) : (
        <main aria-busy="true">
          <p>Loading…</p>
        </main>
      );
    if (roles.moderator && moderation[route]) return moderation[route]();
    if (!roles.admin) return roles.moderator ? <HeldQueue api={api} /> : null;
    if (searched) return <SearchPage api={api} q={searched} />;
    if (open)
      return (
        <ConversationPage
          api={api}
          id={open}
          version={version}
          now={now}
          me={session.claims.sub}
          send={tell}
          presence={{
            typing: Object.entries(typing[open] ?? {})
              .filter(([user, until]) => user !== session.claims.sub && until > Date.now())
              .map(([user]) => user),
            viewing: (viewing[open] ?? []).filter((user) => user !== session.claims.sub),
          }}
        />
      );
    return (
      <Queue
        api={api}
        version={version}
        now={now}
        viewing={Object.fromEntries(
          Object.entries(viewing).map(([id, users]) => [id, users.filter((u) => u !== session.claims.sub)]),
        )}
      />
    );
  };
  return (
    <>
      <header class="top">
        <a href="#/" class="brand">
          SayPro console
        </a>
        {roles.admin && (
          <form
            role="search"
            class="search"
            onSubmit={(event) => {
              event.preventDefault();
              if (query.trim()) location.hash = `#/search?${new URLSearchParams({ q: query.trim() })}`;
            }}
          >
            <label for="search">Search conversations</label>
            <input id="search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
            <button type="submit">Search</button>
          </form>
        )}
        <nav aria-label="Pages">
          {roles.admin && <a href="#/">Queue</a>}
          {roles.supervisor && <a href="#/dashboard">Dashboard</a>}
          {roles.manager && <a href="#/report">Monthly report</a>}
          {roles.finance && <a href="#/cost">Cost</a>}
          {roles.supervisor && (
            <>
              <a href="#/broadcasts">Broadcasts</a>
              <a href="#/settings">Settings</a>
            </>
          )}
          {roles.moderator && (
            <>
              <a href="#/held">Held</a>
              <a href="#/reports">Abuse reports</a>
              <a href="#/users">Users</a>
              <a href="#/read">Read a conversation</a>
              <a href="#/safety">Safety policy</a>
              <a href="#/audit">Audit log</a>
            </>
          )}
        </nav>
        <span class="who">{session.claims.name ?? session.claims.sub}</span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {help && (
        <div role="dialog" aria-modal="false" aria-labelledby="shortcuts-heading" class="help">
          <h2 id="shortcuts-heading">Keyboard shortcuts</h2>
          <dl>
            {SHORTCUTS.map((s) => (
              <>
                <dt>
                  <kbd>{s.key}</kbd>
                </dt>
                <dd>{s.does}</dd>
              </>
            ))}
          </dl>
          <button type="button" onClick={() => setHelp(false)}>
            Close
          </button>
        </div>
      )}
      {page() ?? (
        <main>
          <h1>No access</h1>
          <p role="alert">This account has no role the console serves, so it has nothing to show it.</p>
        </main>
      )}
    </>
  );
}

/** The session after a Cognito return, a refresh, or what this tab kept. */
async function startSession(config: Config): Promise<Session | null> {
  if (config.sign_in.kind !== "cognito") return restore();
  const returned = await completeSignIn(config.sign_in, location.search);
  if (returned) {
    history.replaceState(null, "", location.pathname + location.hash);
    return signIn(returned.id_token);
  }
  return restore() ?? (await refresh(config.sign_in).then((t) => (t ? signIn(t.id_token) : null)));
}

function App({ config, initial }: { config: Config; initial: Session | null }) {
  const [session, setSession] = useState<Session | null>(initial);
  const cognito = config.sign_in.kind === "cognito" ? config.sign_in : null;
  useEffect(() => {
    // A minute before the token expires: a fresh one from Cognito, or signed out.
    const exp = session?.claims.exp;
    if (!session || exp === undefined) return;
    const wait = Math.max(0, exp * 1000 - Date.now() - 60_000);
    const timer = setTimeout(() => {
      void (cognito ? refresh(cognito) : Promise.resolve(null)).then((tokens) => {
        const next = tokens ? signIn(tokens.id_token) : null;
        if (!next) signOut();
        setSession(next);
      });
    }, wait);
    return () => clearTimeout(timer);
  }, [session, cognito]);
  if (!session) return <SignIn config={config} onSignedIn={setSession} />;
  return (
    <Console
      config={config}
      session={session}
      onSignOut={() => {
        signOut();
        setSession(null);
        if (cognito) {
          forget();
          location.assign(logoutUrl(cognito));
        }
      }}
    />
  );
}

const root = document.getElementById("app");
if (root) {
  loadConfig()
    .then(async (config) => render(<App config={config} initial={await startSession(config)} />, root))
    .catch((error: unknown) => {
      root.textContent = error instanceof Error ? error.message : "The console could not start.";
    });
}
