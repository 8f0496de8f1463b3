// One conversation: its messages, live (new ones, "Seen", typing), the reply box with
// photos and PDFs, reporting a message, and rating a resolved support answer.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Conversation, Message, Schemas } from "../api/client";
import { upload } from "../api/upload";
import type { Controller } from "./controller";
import { outcome } from "./outcome";

const FILE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"];
/** The typing indicator is sent at most this often while typing. */
const TYPING_EVERY_MS = 3_000;

export function Thread({ controller, id }: { controller: Controller; id: string }) {
  const words = controller.strings;
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [typingUntil, setTypingUntil] = useState(0);
  const [, setTick] = useState(0);
  useEffect(() => {
    const load = async () => {
      const [c, m] = await Promise.all([
        controller.api.GET("/v1/conversations/{id}", { params: { path: { id } } }),
        controller.api.GET("/v1/conversations/{id}/messages", { params: { path: { id }, query: { limit: 100 } } }),
      ]);
      setConversation(c.data ?? null);
      setMessages(m.data?.items ?? []);
    };
    void load();
    return controller.listen((event) => {
      if (!event) return;
      if (event.type === "reconnected") void load();
      if (event.conversation_id !== id && (event.conversation as Conversation | undefined)?.id !== id) return;
      if (event.type === "message.created") {
        const message = event.message as Message;
        setMessages((all) => (all.some((m) => m.id === message.id) ? all : [...all, message]));
        setTypingUntil(0);
      } else if (event.type === "conversation.updated") setConversation(event.conversation as Conversation);
      else if (event.type === "conversation.read")
        setConversation((c) => c && { ...c, others_read_up_to: { message_id: String(event.message_id), read_at: String(event.read_at) } });
      else if (event.type === "typing") setTypingUntil(event.state === "on" ? Date.now() + 6_000 : 0);
    });
  }, [controller, id]);
  useEffect(() => {
    // Typing shown goes once the typist has been silent for 6 seconds.
    if (!typingUntil) return;
    const timer = setTimeout(() => setTick((t) => t + 1), Math.max(0, typingUntil - Date.now()) + 50);
    return () => clearTimeout(timer);
  }, [typingUntil]);
  const last = messages.at(-1);
  useEffect(() => {
    // What is on screen is read: the other side sees "Seen".
    if (last && last.sender_id !== controller.me)
      void controller.api.POST("/v1/conversations/{id}/read", { params: { path: { id } }, body: { message_id: last.id } });
  }, [controller, id, last?.id]);
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => list.current?.lastElementChild?.scrollIntoView({ block: "end" }), [messages.length]);
  if (!conversation) return <p class="body">{words.loading}</p>;
  const mine = messages.filter((m) => m.sender_id === controller.me).at(-1);
  const readUpTo = messages.findIndex((m) => m.id === conversation.others_read_up_to?.message_id);
  const seen = mine && readUpTo >= messages.indexOf(mine);
  return (
    <div class="body thread">
      <h3>{conversation.subject}</h3>
      <ol class="messages" ref={list} aria-label={conversation.subject}>
        {messages.map((m) => (
          <MessageItem key={m.id} controller={controller} conversation={conversation} message={m} seen={seen === true && m === mine} />
        ))}
      </ol>
      {typingUntil > Date.now() && <p class="typing">{words.typing}</p>}
      {conversation.type === "support" && conversation.status === "resolved" && <Rate controller={controller} id={id} />}
      {conversation.merged_into ? (
        <Merged controller={controller} into={conversation.merged_into} />
      ) : (
        <Compose controller={controller} id={id} onSent={(m) => setMessages((all) => (all.some((x) => x.id === m.id) ? all : [...all, m]))} />
      )}
    </div>
  );
}

/** A conversation merged into another (status `merged`): the way to the one that goes on. */
function Merged({ controller, into }: { controller: Controller; into: string }) {
  const words = controller.strings;
  return (
    <p class="merged" role="note">
      {words.merged}{" "}
      <button type="button" class="link" onClick={() => controller.show({ kind: "thread", id: into })}>
        {words.openMerged}
      </button>
    </p>
  );
}

function MessageItem({ controller, conversation, message, seen }: { controller: Controller; conversation: Conversation; message: Message; seen: boolean }) {
  const words = controller.strings;
  const own = message.sender_id === controller.me;
  const [reporting, setReporting] = useState(false);
  const who = own ? words.you : message.sender_role === "admin" ? words.withSupport : conversation.participants.find((p) => p === message.sender_id) ?? "";
  return (
    <li class={own ? "own" : "theirs"}>
      <p class="who">
        {who} · <time dateTime={message.created_at}>{new Date(message.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}</time>
      </p>
      <p class="text">{message.hidden ? words.hiddenMessage : message.erased ? words.erasedMessage : message.body}</p>
      {message.warning && <p class="warning">{message.warning}</p>}
      {(message.attachments ?? []).length > 0 && <Files controller={controller} message={message} />}
      {seen && <p class="seen">{words.seen}</p>}
      {!own && message.sender_role !== "admin" && (
        <button type="button" class="link" onClick={() => setReporting(!reporting)}>
          {words.report}
        </button>
      )}
      {reporting && <Report controller={controller} message={message} onDone={() => setReporting(false)} />}
    </li>
  );
}

function Files({ controller, message }: { controller: Controller; message: Message }) {
  const [links, setLinks] = useState<Record<string, string>>({});
  useEffect(() => {
    for (const file of message.attachments ?? [])
      void controller.api
        .GET("/v1/conversations/{id}/messages/{message_id}/attachments/{attachment_id}", {
          params: { path: { id: message.conversation_id, message_id: message.id, attachment_id: file.id } },
        })
        .then(({ data }) => data?.download && setLinks((all) => ({ ...all, [file.id]: data.download!.url })));
  }, [controller, message.id]);
  return (
    <ul class="files">
      {(message.attachments ?? []).map((file) => (
        <li key={file.id}>
          {file.content_type.startsWith("image/") && links[file.id] ? (
            <img src={links[file.id]} alt={file.filename} />
          ) : (
            <a href={links[file.id]} target="_blank" rel="noopener">
              {file.filename}
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}

function Report({ controller, message, onDone }: { controller: Controller; message: Message; onDone: () => void }) {
  const words = controller.strings;
  const [reason, setReason] = useState<Schemas["ReportReason"]>("spam");
  const [done, setDone] = useState<string | null>(null);
  const send = async (e: Event) => {
    e.preventDefault();
    const { error } = await controller.api.POST("/v1/conversations/{id}/reports", {
      params: { path: { id: message.conversation_id } },
      body: { message_id: message.id, reason },
    });
    setDone(error ? error.error.message : words.reported);
    if (!error) setTimeout(onDone, 2_000);
  };
  return (
    <form class="report" onSubmit={(e) => void send(e)}>
      <label>
        {words.reportWhy}
        <select value={reason} onChange={(e) => setReason(e.currentTarget.value as Schemas["ReportReason"])}>
          {(Object.keys(words.reasons) as Schemas["ReportReason"][]).map((r) => (
            <option value={r}>{words.reasons[r]}</option>
          ))}
        </select>
      </label>
      <button type="submit">{words.report}</button>
      {done && <p role="status">{done}</p>}
    </form>
  );
}

function Rate({ controller, id }: { controller: Controller; id: string }) {
  const words = controller.strings;
  const [rated, setRated] = useState<boolean | null>(null);
  const [stars, setStars] = useState(0);
  useEffect(() => {
    void controller.api.GET("/v1/conversations/{id}/rating", { params: { path: { id } } }).then(({ data }) => setRated(data !== undefined));
  }, [controller, id]);
  if (rated === null) return null;
  if (rated) return <p role="status">{words.rated}</p>;
  const send = async (e: Event) => {
    e.preventDefault();
    const { data } = await controller.api.POST("/v1/conversations/{id}/rating", { params: { path: { id } }, body: { stars } });
    if (data) setRated(true);
  };
  return (
    <form class="rate" onSubmit={(e) => void send(e)}>
      <fieldset>
        <legend>{words.rateTitle}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input type="radio" name="stars" value={n} checked={stars === n} onChange={() => setStars(n)} />
            {words.stars(n)}
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={stars === 0}>
        {words.send}
      </button>
    </form>
  );
}

function Compose({ controller, id, onSent }: { controller: Controller; id: string; onSent: (m: Message) => void }) {
  const words = controller.strings;
  const [body, setBody] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<Record<string, number>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const typedAt = useRef(0);
  const typing = () => {
    if (Date.now() - typedAt.current < TYPING_EVERY_MS) return;
    typedAt.current = Date.now();
    controller.tell({ action: "typing", conversation_id: id, state: "on" });
  };
  const choose = (chosen: FileList | null) => {
    const all = Array.from(chosen ?? []);
    const refused = all.find((f) => !FILE_TYPES.includes(f.type));
    setNotice(refused ? words.fileRefused(refused.name) : null);
    setFiles(all.filter((f) => FILE_TYPES.includes(f.type)).slice(0, 5));
  };
  const send = async (e: Event) => {
    e.preventDefault();
    if (!body.trim() && files.length === 0) return;
    setBusy(true);
    setNotice(null);
    try {
      const attachments = [];
      for (const file of files) attachments.push(await upload(controller.api, file, (share) => setProgress((p) => ({ ...p, [file.name]: share }))));
      const answer = await controller.api.POST("/v1/conversations/{id}/messages", { params: { path: { id } }, body: { body: body.trim(), attachments } });
      const result = outcome(words, answer);
      controller.tell({ action: "typing", conversation_id: id, state: "off" });
      typedAt.current = 0;
      if ("sent" in result) onSent(result.sent as Message);
      else setNotice(result.notice);
      if (!("notice" in result) || !result.kept) {
        setBody("");
        setFiles([]);
        setProgress({});
      }
    } catch (error) {
      setNotice(error instanceof Error ? error.message : words.failed);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="compose" onSubmit={(e) => void send(e)}>
      <label>
        <span class="visually-hidden">{words.write}</span>
        <textarea
          rows={3}
          placeholder={words.write}
          value={body}
          onInput={(e) => {
            setBody(e.currentTarget.value);
            typing();
          }}
        />
      </label>
      <div class="row">
        <label class="attach">
          {words.attach}
          <input type="file" multiple accept={FILE_TYPES.join(",")} onChange={(e) => choose(e.currentTarget.files)} />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? words.sending : words.send}
        </button>
      </div>
      {files.length > 0 && (
        <ul class="chosen">
          {files.map((f) => (
            <li key={f.name}>{words.uploading(f.name, Math.round((progress[f.name] ?? 0) * 100))}</li>
          ))}
        </ul>
      )}
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
    </form>
  );
}
