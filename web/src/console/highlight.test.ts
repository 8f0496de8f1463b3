import { describe, expect, it } from "vitest";
import { pieces } from "./highlight";

describe("a snippet's highlights", () => {
  it("cut the text at characters, not bytes or UTF-16 units", () => {
    expect(pieces("Meet at the Café 😀 now", [[12, 16]])).toEqual([
      { text: "Meet at the ", matched: false },
      { text: "Café", matched: true },
      { text: " 😀 now", matched: false },
    ]);
    expect(pieces("😀 double charge", [[2, 8], [9, 15]]).filter((p) => p.matched).map((p) => p.text)).toEqual([
      "double",
      "charge",
    ]);
  });

  it("ignore ranges that overlap or fall outside", () => {
    expect(pieces("abc", [[1, 9], [0, 1], [0, 2]])).toEqual([
      { text: "a", matched: true },
      { text: "bc", matched: false },
    ]);
  });
});
