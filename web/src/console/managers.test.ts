import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { pastedIds } from "./Broadcasts";
import { costCsv } from "./CostPage";

describe("the managers' pages", () => {
  it("reads a pasted list of users once each, however it is separated", () => {
    expect(pastedIds("thandi\npieter, lerato;thandi  sipho\r\n")).toEqual(["thandi", "pieter", "lerato", "sipho"]);
    expect(pastedIds(" \n,")).toEqual([]);
  });

  it("writes the cost page as CSV: each service, SMS per country, the days, the allocations", () => {
    const cost = { dynamodb_reads: 0.01, dynamodb_writes: 2.5, lambda_requests: 0.2, lambda_compute: 0.3, api_requests: 0.1, email: 1, sms: { ZA: 0.5 }, total: 4.61 };
    const report = {
      month: "2026-11",
      by_service: cost,
      daily: [{ date: "2026-11-01", total: 0.2 }],
      by_category: [{ name: "payment", conversations: 3, share: 0.5, cost: 2.3 }],
      by_team: [{ name: "billing", conversations: 3, share: 0.5, cost: 2.3 }],
      conversations: 6,
      per_conversation: 0.77,
      projected_total: 4.61,
    } as unknown as Schemas["CostReport"];
    const lines = costCsv(report).trimEnd().split("\r\n");
    expect(lines[0]).toBe("section,name,value");
    expect(lines).toContain("service,SMS (ZA),0.5");
    expect(lines).toContain("service,total,4.61");
    expect(lines).toContain("day,2026-11-01,0.2");
    expect(lines).toContain("category,payment,2.3");
    expect(lines).toContain("team,billing,2.3");
    expect(lines.at(-1)).toBe("month,projected total,4.61");
  });
});
