import { describe, expect, it } from "vitest";
import { decodeClaims, groupsOf } from "../api/claims";
import { expired, rolesOf } from "./session";

const token = (claims: object) =>
  `x.${btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}.y`;

describe("the session", () => {
  it("reads the claims and the roles they give", () => {
    const claims = decodeClaims(token({ sub: "sam", name: "Sam", exp: 10, "cognito:groups": ["agent", "team-support"] }));
    expect(claims).toEqual({ sub: "sam", name: "Sam", exp: 10, groups: ["agent", "team-support"] });
    const none = { admin: false, moderator: false, supervisor: false, manager: false, finance: false };
    expect(rolesOf(claims!)).toEqual({ ...none, admin: true });
    expect(rolesOf({ sub: "s", groups: ["senior"] })).toEqual({ ...none, admin: true, supervisor: true });
    expect(rolesOf({ sub: "f", groups: ["finance"] })).toEqual({ ...none, finance: true });
    expect(rolesOf({ sub: "m", groups: ["manager"] })).toEqual({
      admin: true,
      moderator: true,
      supervisor: true,
      manager: true,
      finance: true,
    });
    expect(rolesOf({ sub: "t", groups: [] }).admin).toBe(false);
    expect(expired(claims!, 11)).toBe(true);
  });

  it("takes API Gateway's string of groups, and refuses what is not a token", () => {
    expect(groupsOf("[agent team-billing]")).toEqual(["agent", "team-billing"]);
    expect(decodeClaims("not a token")).toBeNull();
    expect(decodeClaims(token({ name: "no sub" }))).toBeNull();
  });
});
