// What a send answered, as the person is told it: sent, held for a moderator, too fast
// (with when to try again), or refused with the API's own sentence.
import { type ApiError, errorMessage } from "../api/client";
import type { Strings } from "./strings";

export type Outcome<T> = { sent: T } | { notice: string; kept: boolean };

export function outcome<T>(
  strings: Strings,
  answer: { data?: T; error?: ApiError; response: Response },
): Outcome<T> {
  const { data, error, response } = answer;
  if (response.status === 202) return { notice: strings.held, kept: false };
  if (data !== undefined && response.ok) return { sent: data };
  if (response.status === 429) {
    const seconds = Number(response.headers.get("Retry-After") ?? "60") || 60;
    return { notice: strings.rateLimited(seconds), kept: true };
  }
  return { notice: errorMessage(error, strings.failed), kept: true };
}
