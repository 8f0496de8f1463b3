// The admin console: sign in, then the queue and its conversations, live.
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { apiClient } from "../api/client";
import { type Config, loadConfig } from "./config";
import { ConversationPage } from "./ConversationPage";
import { Live } from "./live";
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
  useEffect(() => {
    // Anything that changes a conversation refreshes what is on screen.
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
    );
    setLive(socket);
    void socket.open();
    return () => socket.close();
  }, [api]);
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
  const roles = rolesOf(session.claims);
  const open = route.match(/^#\/c\/([A-Za-z0-9]+)$/)?.[1];
  const searched = route.startsWith("#/search?") ? new URLSearchParams(route.slice(9)).get("q") : null;
  const [query, setQuery] = useState(searched ?? "");
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
          {roles.moderator && (
            <>
              <a href="#/held">Held</a>
              <a href="#/reports">Reports</a>
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
      {!roles.admin && !roles.moderator ? (
        <main>
          <h1>No access</h1>
          <p role="alert">This account has no admin or moderator role, so the console has nothing to show it.</p>
        </main>
      ) : route === "#/held" && roles.moderator ? (
        <HeldQueue api={api} />
      ) : route === "#/reports" && roles.moderator ? (
        <Reports api={api} />
      ) : route === "#/read" && roles.moderator ? (
        <ReadThread api={api} />
      ) : route === "#/users" && roles.moderator ? (
        <Users api={api} />
      ) : route === "#/safety" && roles.moderator ? (
        <SafetyPolicy api={api} />
      ) : route === "#/audit" && roles.moderator ? (
        <AuditLog api={api} />
      ) : !roles.admin ? (
        <HeldQueue api={api} />
      ) : searched ? (
        <SearchPage api={api} q={searched} />
      ) : open ? (
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
      ) : (
        <Queue
          api={api}
          version={version}
          now={now}
          viewing={Object.fromEntries(
            Object.entries(viewing).map(([id, users]) => [id, users.filter((u) => u !== session.claims.sub)]),
          )}
        />
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
