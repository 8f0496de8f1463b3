// A new conversation: to a listing's seller (its first message), or to the admin team
// about a listing or the account (what it is about, a subject made from both).
import { useState } from "preact/hooks";
import type { Schemas } from "../api/client";
import type { Controller } from "./controller";
import { outcome } from "./outcome";

type Listing = Schemas["PublicListing"];
type Topic = keyof Controller["strings"]["topics"];

function useStart(controller: Controller) {
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const start = async (request: Schemas["NewConversation"]) => {
    setBusy(true);
    const answer = await controller.api.POST("/v1/conversations", { body: request });
    setBusy(false);
    const result = outcome(controller.strings, answer);
    // 201 (202, held, is a notice): the new conversation.
    if ("sent" in result) controller.show({ kind: "thread", id: (result.sent as Schemas["CreatedConversation"]).conversation.id });
    else setNotice(result.notice);
  };
  return { notice, busy, start };
}

/** The message box, Send, and what the send answered, closing both forms. */
function FirstMessage({ controller, body, setBody, busy, notice }: { controller: Controller; body: string; setBody: (b: string) => void; busy: boolean; notice: string | null }) {
  const words = controller.strings;
  return (
    <>
      <label>
        {words.write}
        <textarea rows={5} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={busy || !body.trim()}>
        {busy ? words.sending : words.start}
      </button>
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
    </>
  );
}

export function StartSeller({ controller, listing }: { controller: Controller; listing: Listing }) {
  const words = controller.strings;
  const [body, setBody] = useState("");
  const { notice, busy, start } = useStart(controller);
  return (
    <form class="body start" onSubmit={(e) => (e.preventDefault(), void start({ type: "direct", listing_id: listing.id, body }))}>
      <p>{words.sellerIntro(listing.title)}</p>
      <FirstMessage controller={controller} body={body} setBody={setBody} busy={busy} notice={notice} />
    </form>
  );
}

export function StartAdmin({ controller, listing }: { controller: Controller; listing: Listing | null }) {
  const words = controller.strings;
  const topics = Object.keys(words.topics) as Topic[];
  const [topic, setTopic] = useState<Topic>(listing ? "complaint" : "account");
  const made = (t: Topic) => (listing ? `${listing.title}: ${words.topics[t]}` : words.topics[t]);
  const [subject, setSubject] = useState<string | null>(null);
  const [body, setBody] = useState("");
  const { notice, busy, start } = useStart(controller);
  const send = (e: Event) => {
    e.preventDefault();
    void start({
      type: "support",
      category: topic,
      subject: subject ?? made(topic),
      body,
      listing_id: listing?.id ?? null,
    });
  };
  return (
    <form class="body start" onSubmit={send}>
      {listing && <p>{words.aboutListing(listing.title)}</p>}
      <fieldset>
        <legend>{words.whatAbout}</legend>
        {topics.map((t) => (
          <label key={t} class="choice">
            <input type="radio" name="topic" value={t} checked={topic === t} onChange={() => setTopic(t)} />
            {words.topics[t]}
          </label>
        ))}
      </fieldset>
      <label>
        {words.subject}
        <input value={subject ?? made(topic)} onInput={(e) => setSubject(e.currentTarget.value)} />
      </label>
      <FirstMessage controller={controller} body={body} setBody={setBody} busy={busy} notice={notice} />
    </form>
  );
}
