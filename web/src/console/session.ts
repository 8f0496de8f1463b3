// Who is signed in: the token (kept in session storage, so a closed tab signs out), the
// claims it carries, and what the console may show them. The API checks every call
// itself; this only decides which pages to offer.

export interface Claims {
  sub: string;
  name?: string;
  email?: string;
  exp?: number;
  groups: string[];
}

export interface Session {
  token: string;
  claims: Claims;
}

const KEY = "saypro.console.token";

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

export interface Roles {
  admin: boolean;
  moderator: boolean;
  /** Seniors and managers: every team, the dashboard, broadcasts, the settings (to read). */
  supervisor: boolean;
  /** Managers: the report, and saving the settings. */
  manager: boolean;
  /** Finance (and managers): the cost page. */
  finance: boolean;
}

export function rolesOf(claims: Claims): Roles {
  const has = (g: string) => claims.groups.includes(g);
  return {
    admin: has("agent") || has("senior") || has("manager"),
    moderator: has("moderator") || has("manager"),
    supervisor: has("senior") || has("manager"),
    manager: has("manager"),
    finance: has("finance") || has("manager"),
  };
}

export function expired(claims: Claims, nowSeconds: number): boolean {
  return claims.exp !== undefined && claims.exp <= nowSeconds;
}

export function signIn(token: string): Session | null {
  const claims = decodeClaims(token.trim());
  if (!claims || expired(claims, Date.now() / 1000)) return null;
  sessionStorage.setItem(KEY, token.trim());
  return { token: token.trim(), claims };
}

export function restore(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  const session = signIn(token);
  if (!session) sessionStorage.removeItem(KEY);
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
