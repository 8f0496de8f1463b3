// A search result's snippet cut into plain and matched pieces by its highlights
// (`[start, end)` in characters, i.e. Unicode scalar values): rendered as text and
// <mark>, never as HTML.

export interface Piece {
  text: string;
  matched: boolean;
}

export function pieces(snippet: string, highlights: number[][]): Piece[] {
  const chars = Array.from(snippet);
  const out: Piece[] = [];
  let at = 0;
  for (const [start = 0, end = 0] of [...highlights].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    if (start < at || end > chars.length || start >= end) continue;
    if (start > at) out.push({ text: chars.slice(at, start).join(""), matched: false });
    out.push({ text: chars.slice(start, end).join(""), matched: true });
    at = end;
  }
  if (at < chars.length) out.push({ text: chars.slice(at).join(""), matched: false });
  return out;
}
