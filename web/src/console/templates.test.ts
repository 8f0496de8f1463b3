import { describe, expect, it } from "vitest";
import { matching, slashFilter, type Template } from "./templates";

const template = (name: string, body: string, usage_count = 0): Template => ({
  id: name,
  name,
  body,
  usage_count,
  placeholders: [],
  category: null,
  team: null,
  created_at: "2026-11-01T00:00:00Z",
  created_by: "max",
  updated_at: "2026-11-01T00:00:00Z",
});

describe("the template picker", () => {
  it("opens on a leading slash and filters by what follows", () => {
    expect(slashFilter("/")).toBe("");
    expect(slashFilter("/ren")).toBe("ren");
    expect(slashFilter("hello /ren")).toBeNull();
    expect(slashFilter("/ren ew")).toBeNull();
  });

  it("ranks names that start with the filter first, then the most used", () => {
    const list = [
      template("Refund status", "Your refund is on its way"),
      template("How to renew", "Open My Ads and choose Renew", 3),
      template("Renew an ad", "Choose Renew", 1),
      template("Greeting", "Hello"),
    ];
    expect(matching(list, "ren").map((t) => t.name)).toEqual(["Renew an ad", "How to renew"]);
    expect(matching(list, "refund").map((t) => t.name)).toEqual(["Refund status"]);
    expect(matching(list, "").map((t) => t.name)).toEqual(["How to renew", "Renew an ad", "Greeting", "Refund status"]);
  });
});
