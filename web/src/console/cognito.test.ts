import { describe, expect, it } from "vitest";
import { challengeOf } from "./cognito";

describe("PKCE", () => {
  it("makes the S256 challenge of RFC 7636's example", async () => {
    // RFC 7636, appendix B.
    expect(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });
});
