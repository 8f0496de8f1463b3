import { describe, expect, it } from "vitest";
import { change, csv, minutes, money, monthOf, percent } from "./format";

describe("figures as managers read them", () => {
  it("reads times, shares and money", () => {
    expect(minutes(44.6)).toBe("45 min");
    expect(minutes(185)).toBe("3 h 05 min");
    expect(minutes(60 * 50)).toBe("2 d 2 h");
    expect(minutes(null)).toBe("–");
    expect(percent(0.875)).toBe("88%");
    expect(percent(0.042)).toBe("4.2%");
    expect(percent(0)).toBe("0%");
    expect(money(4.4917)).toBe("USD 4.49");
    expect(money(0.01234)).toBe("USD 0.0123");
  });

  it("names months across a year's end, and changes with their sign", () => {
    expect(monthOf(new Date("2026-01-15T12:00:00Z"), -1)).toBe("2025-12");
    expect(monthOf(new Date("2026-12-01T08:00:00Z"))).toBe("2026-12");
    // 23:00 UTC on 30 November is already December in Johannesburg.
    expect(monthOf(new Date("2026-11-30T23:00:00Z"))).toBe("2026-12");
    expect(change(0.9, 0.8, (v) => percent(v))).toBe("+10%");
    expect(change(3, 5, String)).toBe("−2");
    expect(change(3, null, String)).toBe("–");
  });

  it("quotes CSV fields that need it", () => {
    expect(csv([["name", "cost"], ['Team "A", support', 1.5], ["x", null]])).toBe(
      'name,cost\r\n"Team ""A"", support",1.5\r\nx,\r\n',
    );
  });
});
