// Snoozing and merging as the conversation page offers them: the times and choices it
// sends; the API decides what is allowed and says why not.
import type { Conversation } from "../api/client";

/** A `datetime-local` field's value (this browser's time) as the API's UTC time. */
export function snoozeTime(local: string): string | null {
  if (!local) return null;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/** The `datetime-local` value `hours` from `now`, to start the snooze field at. */
export function localIn(now: Date, hours: number): string {
  const at = new Date(now.getTime() + hours * 3_600_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** The user's other conversations this one could be merged into: not itself, not merged. */
export function mergeTargets(conversation: Conversation, theirs: Conversation[]): Conversation[] {
  return theirs.filter((c) => c.id !== conversation.id && c.status !== "merged" && c.merged_into === null);
}

/** Where a message shown in a conversation came from, if from a duplicate merged into it. */
export function mergedFrom(conversation: Conversation, message: { conversation_id: string }): string | null {
  return message.conversation_id !== conversation.id ? message.conversation_id : null;
}
