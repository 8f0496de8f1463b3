// Beside a conversation: the user's other conversations, and how its SLA clocks ran.
import { useEffect, useState } from "preact/hooks";
import type { Api, Conversation, Schemas } from "../api/client";

export function Sidebar({ api, conversation, version }: { api: Api; conversation: Conversation; version: number }) {
  const [others, setOthers] = useState<Conversation[]>([]);
  const [timeline, setTimeline] = useState<Schemas["SlaTimeline"] | null>(null);
  const [listing, setListing] = useState<Schemas["PublicListing"] | null>(null);
  useEffect(() => {
    void api
      .GET("/v1/admin/users/{id}/conversations", { params: { path: { id: conversation.created_by } } })
      .then(({ data }) => data && setOthers(data.items.filter((c) => c.id !== conversation.id)));
    void api
      .GET("/v1/admin/conversations/{id}/sla", { params: { path: { id: conversation.id } } })
      .then(({ data }) => setTimeline(data ?? null));
    const listingId = conversation.listing_id;
    if (listingId)
      void api.GET("/v1/listings/{id}", { params: { path: { id: listingId } } }).then(({ data }) => setListing(data ?? null));
    else setListing(null);
  }, [api, conversation.id, conversation.created_by, conversation.listing_id, version]);
  return (
    <aside class="sidebar">
      {listing && (
        <section aria-labelledby="listing-heading">
          <h2 id="listing-heading">The listing</h2>
          <p>
            {listing.title} · {listing.location} · {listing.category} · {listing.status}
          </p>
        </section>
      )}
      <section aria-labelledby="others-heading">
        <h2 id="others-heading">The user's other conversations</h2>
        {others.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul>
            {others.map((c) => (
              <li key={c.id}>
                <a href={`#/c/${c.id}`}>{c.subject}</a> · {c.status}
              </li>
            ))}
          </ul>
        )}
      </section>
      {timeline && (
        <section aria-labelledby="sla-heading">
          <h2 id="sla-heading">SLA timeline</h2>
          <ol class="timeline">
            {timeline.events.map((e) => (
              <li key={`${e.at}${e.kind}`}>
                <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time> · {e.kind.replace(/_/g, " ")} (
                {e.clock.replace(/_/g, " ")})
              </li>
            ))}
          </ol>
          {timeline.next_step && (
            <p>
              Next: {timeline.next_step.action.replace(/_/g, " ")} at{" "}
              {new Date(timeline.next_step.at).toLocaleString()}
            </p>
          )}
        </section>
      )}
    </aside>
  );
}
