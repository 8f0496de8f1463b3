// What a token says about its bearer, read in the browser (unverified: the API verifies
// every call). The console decides which pages to offer by it, the widget which side of
// a conversation is "you".

export interface Claims {
  sub: string;
  name?: string;
  email?: string;
  exp?: number;
  groups: string[];
}

/** The claims of a JWT, unverified (the API verifies); null if it is not one. */
export function decodeClaims(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const raw = JSON.parse(json) as Record<string, unknown>;
    if (typeof raw.sub !== "string") return null;
    const claims: Claims = { sub: raw.sub, groups: groupsOf(raw["cognito:groups"]) };
    if (typeof raw.name === "string") claims.name = raw.name;
    if (typeof raw.email === "string") claims.email = raw.email;
    if (typeof raw.exp === "number") claims.exp = raw.exp;
    return claims;
  } catch {
    return null;
  }
}

/** `cognito:groups` as a list: Cognito's array, or API Gateway's `[a b]` string. */
export function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === "string");
  if (typeof value === "string") return value.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  return [];
}

