import { describe, expect, it } from "vitest";
import type { Conversation } from "../api/client";
import { localIn, mergeTargets, mergedFrom, snoozeTime } from "./workflow";

const conversation = (id: string, more: Partial<Conversation> = {}): Conversation =>
  ({ id, status: "open", merged_into: null, merged_from: [], ...more }) as Conversation;

describe("snoozing", () => {
  it("sends the field's local time as UTC, and nothing for an empty or broken field", () => {
    const local = localIn(new Date("2026-11-24T07:00:00Z"), 2);
    expect(snoozeTime(local)).toBe("2026-11-24T09:00:00.000Z");
    expect(snoozeTime("")).toBeNull();
    expect(snoozeTime("next tuesday")).toBeNull();
  });
});

describe("merging", () => {
  it("offers the user's other conversations that are not merged themselves", () => {
    const here = conversation("a");
    const theirs = [here, conversation("b"), conversation("c", { status: "merged", merged_into: "b" })];
    expect(mergeTargets(here, theirs).map((c) => c.id)).toEqual(["b"]);
  });

  it("tells a merged duplicate's messages apart", () => {
    const here = conversation("a", { merged_from: ["b"] });
    expect(mergedFrom(here, { conversation_id: "b" })).toBe("b");
    expect(mergedFrom(here, { conversation_id: "a" })).toBeNull();
  });
});
