import { describe, expect, it } from "vitest";
import { outcome } from "./outcome";
import { ENGLISH } from "./strings";

const answer = (status: number, body: object, headers: Record<string, string> = {}) => {
  const response = new Response(JSON.stringify(body), { status, headers });
  return status < 300 ? { data: body, response } : { error: body as never, response };
};

describe("what a send answered, as the person is told it", () => {
  it("sent, held, too fast, refused", () => {
    expect(outcome(ENGLISH, answer(201, { id: "m1" }))).toEqual({ sent: { id: "m1" } });
    expect(outcome(ENGLISH, answer(202, { held_id: "h1", reason: "link", status: "waiting" }))).toEqual({
      notice: ENGLISH.held,
      kept: false,
    });
    const limited = outcome(ENGLISH, answer(429, { error: { code: "rate_limited", message: "slow down" } }, { "Retry-After": "42" }));
    expect(limited).toEqual({ notice: ENGLISH.rateLimited(42), kept: true });
    const refused = outcome(ENGLISH, answer(400, { error: { code: "invalid_request", message: "body: blocked word" } }));
    expect(refused).toEqual({ notice: "body: blocked word", kept: true });
  });
});
