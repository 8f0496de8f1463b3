// Picking a reply template: "/" at the start of the reply box opens the list, what is
// typed after it filters by name (and body), the chosen one is previewed by the API
// (placeholders filled from the conversation) and put in the box to edit before Send.
import type { Schemas } from "../api/client";

export type Template = Schemas["Template"];

/** The filter a reply box's text asks for: the words after a leading "/", or null. */
export function slashFilter(text: string): string | null {
  const match = text.match(/^\/(\S*)$/);
  return match ? (match[1] ?? "") : null;
}

/** Templates matching `filter` (case-insensitive), best first: names that start with it,
 *  then names that contain it, then bodies that do; most used first within each. */
export function matching(templates: Template[], filter: string): Template[] {
  const f = filter.toLowerCase();
  const rank = (t: Template) => {
    const name = t.name.toLowerCase();
    if (name.startsWith(f)) return 0;
    if (name.includes(f)) return 1;
    if (t.body.toLowerCase().includes(f)) return 2;
    return 3;
  };
  return templates
    .map((t) => ({ t, r: rank(t) }))
    .filter(({ r }) => r < 3)
    .sort((a, b) => a.r - b.r || b.t.usage_count - a.t.usage_count || a.t.name.localeCompare(b.t.name))
    .map(({ t }) => t);
}
