// Who is signed in: the token (kept in session storage, so a closed tab signs out), the
// claims it carries, and what the console may show them. The API checks every call
// itself; this only decides which pages to offer.
import { type Claims, decodeClaims } from "../api/claims";

export interface Session {
  token: string;
  claims: Claims;
}

const KEY = "saypro.console.token";

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
