import { describe, expect, it } from "vitest";
import { slaBadge, span, type Sla } from "./sla";

const base: Sla = {
  first_response_due: "2026-11-24T11:00:00Z",
  first_response_at: null,
  next_response_due: "2026-11-24T11:00:00Z",
  resolution_due: null,
  breached: false,
  warning_at: "2026-11-24T10:12:00Z",
  warned: false,
  escalation_level: 0,
  policy_version: 1,
};
const at = (time: string) => new Date(time);

describe("the SLA badge", () => {
  it("counts down, turns amber at the warning time and red only when breached", () => {
    expect(slaBadge(base, at("2026-11-24T07:00:00Z"))).toEqual({ state: "ok", label: "4h 00m left" });
    expect(slaBadge(base, at("2026-11-24T10:15:00Z"))).toEqual({ state: "warning", label: "45m left" });
    expect(slaBadge({ ...base, warning_at: null, warned: true }, at("2026-11-24T10:15:00Z")).state).toBe("warning");
    // Past due but not yet breached by the API: amber, "due now".
    expect(slaBadge(base, at("2026-11-24T11:01:00Z"))).toEqual({ state: "warning", label: "Due now" });
    expect(slaBadge({ ...base, breached: true }, at("2026-11-24T12:30:00Z"))).toEqual({
      state: "breached",
      label: "Breached 1h 30m ago",
    });
  });

  it("says when nothing is running", () => {
    const answered = { ...base, first_response_at: "2026-11-24T08:00:00Z", next_response_due: null };
    expect(slaBadge(answered, at("2026-11-24T09:00:00Z")).state).toBe("answered");
    expect(slaBadge(undefined, at("2026-11-24T09:00:00Z")).state).toBe("none");
  });

  it("writes spans as people read them", () => {
    expect(span(0)).toBe("0m");
    expect(span(65 * 60_000)).toBe("1h 05m");
    expect(span((3 * 24 + 4) * 3_600_000)).toBe("3d 4h");
  });
});
