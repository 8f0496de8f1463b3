// Search results from the top bar: the team's conversations matching what was typed,
// each with its snippet, matched words marked.
import { useEffect, useState } from "preact/hooks";
import { ErrorLine } from "./parts";
import { type Api, type Schemas, errorMessage } from "../api/client";
import { pieces } from "./highlight";

type Hit = Schemas["SearchHit"];

export function SearchPage({ api, q }: { api: Api; q: string }) {
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setHits(null);
    void api.GET("/v1/admin/search", { params: { query: { q } } }).then(({ data, error }) => {
      if (!current) return;
      if (data) {
        setHits(data.items);
        setError(null);
      } else setError(errorMessage(error, "The search failed."));
    });
    return () => {
      current = false;
    };
  }, [api, q]);
  return (
    <main>
      <h1>Search: {q}</h1>
      <ErrorLine message={error} />
      {hits && hits.length === 0 && <p>Nothing found.</p>}
      {hits && hits.length > 0 && (
        <ol class="results">
          {hits.map((hit) => (
            <li key={`${hit.conversation_id}/${hit.message_id ?? ""}`}>
              <a href={`#/c/${hit.conversation_id}`}>{hit.conversation.subject}</a>
              <span class="meta">
                {" "}
                · {hit.other_party ?? hit.conversation.created_by} · {new Date(hit.at).toLocaleString()}
              </span>
              <p class="snippet">
                {pieces(hit.snippet, hit.highlights).map((p) => (p.matched ? <mark>{p.text}</mark> : p.text))}
              </p>
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
