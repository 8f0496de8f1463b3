// The launcher (with the unread count) and the panel it opens: the person's
// conversations, one conversation, a new one, search. A side panel on a desktop, the
// whole screen on a phone.
import { useEffect, useRef, useState } from "preact/hooks";
import { type Conversation, type Schemas } from "../api/client";
import type { Controller } from "./controller";
import { StartAdmin, StartSeller } from "./Start";
import { Thread } from "./Thread";

/** Re-renders on every change the controller announces. */
export function useController(controller: Controller): number {
  const [version, setVersion] = useState(0);
  useEffect(() => controller.listen(() => setVersion((v) => v + 1)), [controller]);
  return version;
}

export function Panel({ controller }: { controller: Controller }) {
  useController(controller);
  const words = controller.strings;
  const view = controller.view;
  const heading = useRef<HTMLHeadingElement>(null);
  const launcher = useRef<HTMLButtonElement>(null);
  const open = view.kind !== "closed";
  useEffect(() => {
    if (open) heading.current?.focus();
  }, [open, view.kind]);
  const close = () => {
    controller.show({ kind: "closed" });
    launcher.current?.focus();
  };
  return (
    <>
      <button
        ref={launcher}
        type="button"
        class="launcher"
        aria-expanded={open}
        onClick={() => void controller.signedIn().then((yes) => yes && controller.show(open ? { kind: "closed" } : { kind: "list" }))}
      >
        {words.messages}
        {controller.unread > 0 && <span class="badge">{words.unread(controller.unread)}</span>}
      </button>
      {open && (
        <section
          class="panel"
          role="dialog"
          aria-modal="false"
          aria-labelledby="saypro-panel-heading"
          onKeyDown={(e) => e.key === "Escape" && close()}
        >
          <header>
            {view.kind !== "list" && (
              <button type="button" class="back" onClick={() => controller.show({ kind: "list" })}>
                <span aria-hidden="true">←</span> <span class="visually-hidden">{words.back}</span>
              </button>
            )}
            <h2 id="saypro-panel-heading" tabIndex={-1} ref={heading}>
              {words.messages}
            </h2>
            <button type="button" class="close" onClick={close}>
              {words.close}
            </button>
          </header>
          {controller.error && (
            <p role="alert" class="error">
              {controller.error}
            </p>
          )}
          {view.kind === "list" || view.kind === "search" ? (
            <List controller={controller} q={view.kind === "search" ? view.q : ""} />
          ) : view.kind === "thread" ? (
            <Thread controller={controller} id={view.id} />
          ) : view.kind === "seller" ? (
            <StartSeller controller={controller} listing={view.listing} />
          ) : view.kind === "admin" ? (
            <StartAdmin controller={controller} listing={view.listing} />
          ) : null}
        </section>
      )}
    </>
  );
}

function List({ controller, q }: { controller: Controller; q: string }) {
  const words = controller.strings;
  const [items, setItems] = useState<Conversation[] | null>(null);
  const [hits, setHits] = useState<Schemas["SearchHit"][] | null>(null);
  const [query, setQuery] = useState(q);
  const [version, setVersion] = useState(0);
  useEffect(
    () =>
      controller.listen((event) => {
        if (event?.type === "message.created" || event?.type === "conversation.updated" || event?.type === "reconnected") setVersion((v) => v + 1);
      }),
    [controller],
  );
  useEffect(() => {
    if (q) {
      void controller.api.GET("/v1/search", { params: { query: { q } } }).then(({ data }) => setHits(data?.items ?? []));
    } else {
      setHits(null);
      void controller.api.GET("/v1/conversations", { params: { query: { limit: 30 } } }).then(({ data }) => setItems(data?.items ?? []));
    }
  }, [controller, q, version]);
  return (
    <div class="body">
      <form
        role="search"
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          controller.show(query.trim() ? { kind: "search", q: query.trim() } : { kind: "list" });
        }}
      >
        <label>
          <span class="visually-hidden">{words.search}</span>
          <input type="search" placeholder={words.search} value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <button type="submit">{words.searchButton}</button>
      </form>
      {hits ? (
        hits.length === 0 ? (
          <p>{words.noResults}</p>
        ) : (
          <ul class="conversations">
            {hits.map((hit) => (
              <li key={`${hit.conversation_id}${hit.message_id ?? ""}`}>
                <button type="button" onClick={() => controller.show({ kind: "thread", id: hit.conversation_id })}>
                  <strong>{hit.conversation.subject}</strong>
                  <span class="snippet">{hit.snippet}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : items === null ? (
        <p>{words.loading}</p>
      ) : items.length === 0 ? (
        <p>{words.noConversations}</p>
      ) : (
        <ul class="conversations">
          {items.map((c) => (
            <li key={c.id} class={c.unread_count > 0 ? "unread" : ""}>
              <button type="button" onClick={() => controller.show({ kind: "thread", id: c.id })}>
                <strong>{c.subject}</strong>
                <span class="meta">
                  {c.type === "support" ? words.withSupport : ""} {new Date(c.last_message_at).toLocaleString()}
                </span>
                {c.unread_count > 0 && <span class="badge">{words.unread(c.unread_count)}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
