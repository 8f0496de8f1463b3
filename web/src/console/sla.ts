// The SLA badge of a queue row: how long is left on the running response clock, amber
// from the warning time, red when the API says breached.
import type { Schemas } from "../api/client";

export type Sla = Schemas["Sla"];

export interface Badge {
  state: "none" | "ok" | "warning" | "breached" | "answered";
  label: string;
}

/** "2h 05m", "12m", "3d 4h". */
export function span(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${String(rest).padStart(2, "0")}m`;
  return `${rest}m`;
}

/** The running clock's deadline: the next response's, or the first one's if unanswered. */
export function dueOf(sla: Sla): Date | null {
  const due = sla.next_response_due ?? (sla.first_response_at ? null : sla.first_response_due);
  return due ? new Date(due) : null;
}

export function slaBadge(sla: Sla | undefined | null, now: Date): Badge {
  if (!sla) return { state: "none", label: "No SLA" };
  const due = dueOf(sla);
  if (sla.breached) {
    return {
      state: "breached",
      label: due && due < now ? `Breached ${span(now.getTime() - due.getTime())} ago` : "Breached",
    };
  }
  if (!due) return { state: "answered", label: "Answered" };
  const left = due.getTime() - now.getTime();
  const warning = sla.warned || (sla.warning_at !== null && new Date(sla.warning_at) <= now) || left <= 0;
  return { state: warning ? "warning" : "ok", label: left > 0 ? `${span(left)} left` : "Due now" };
}
