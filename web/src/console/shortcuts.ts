// The console's keyboard shortcuts: one table, shown on "?", read by one handler.

export interface Shortcut {
  key: string;
  does: string;
}

export const SHORTCUTS: Shortcut[] = [
  { key: "/", does: "In the reply box: pick a template" },
  { key: "r", does: "Write a reply (focus the reply box)" },
  { key: "s", does: "Search conversations" },
  { key: "g q", does: "Go to the queue" },
  { key: "e", does: "Resolve this conversation and open the next one" },
  { key: "?", does: "Show these shortcuts" },
  { key: "Escape", does: "Close this list, or the template picker" },
];

/** Whether a key press is meant for a field being typed in (then no shortcut). */
export function typingInField(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  return element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName);
}
