// Signing in with the deployment's Cognito user pool: the Hosted UI, authorization code
// with PKCE (no client secret in the browser), the ID token as the bearer, refreshed
// before it expires, signed out when it cannot be.

export interface Cognito {
  /** The Hosted UI's origin, e.g. https://saypro.auth.af-south-1.amazoncognito.com. */
  domain: string;
  client_id: string;
  /** Where Cognito sends the browser back: the console's own address. */
  redirect_uri: string;
}

export interface Tokens {
  id_token: string;
  refresh_token?: string;
  /** Seconds the ID token lives. */
  expires_in: number;
}

const PENDING = "saypro.console.pkce";
const REFRESH = "saypro.console.refresh";

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The PKCE challenge of a verifier: base64url(SHA-256(verifier)). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Where to send the browser to sign in; remembers the verifier and state for the return. */
export async function authorizeUrl(cognito: Cognito): Promise<string> {
  const verifier = random(48);
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: cognito.client_id,
    redirect_uri: cognito.redirect_uri,
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: await challengeOf(verifier),
    state,
  });
  return `${cognito.domain}/oauth2/authorize?${query}`;
}

async function tokenRequest(cognito: Cognito, form: Record<string, string>): Promise<Tokens> {
  const response = await fetch(`${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: cognito.client_id, ...form }),
  });
  if (!response.ok) throw new Error(`sign-in was refused (${response.status})`);
  const tokens = (await response.json()) as Tokens;
  if (tokens.refresh_token) sessionStorage.setItem(REFRESH, tokens.refresh_token);
  return tokens;
}

/** Back from the Hosted UI with `?code=&state=`: the tokens, or null if this is not a
 *  return (or not ours: a state that does not match is refused). */
export async function completeSignIn(cognito: Cognito, search: string): Promise<Tokens | null> {
  const params = new URLSearchParams(search);
  const code = params.get("code");
  if (!code) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null") as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PENDING);
  if (!pending || pending.state !== params.get("state")) throw new Error("sign-in was not started here");
  return tokenRequest(cognito, {
    grant_type: "authorization_code",
    code,
    redirect_uri: cognito.redirect_uri,
    code_verifier: pending.verifier,
  });
}

/** New tokens for the refresh token kept, or null when there is none (or it is refused). */
export async function refresh(cognito: Cognito): Promise<Tokens | null> {
  const refresh_token = sessionStorage.getItem(REFRESH);
  if (!refresh_token) return null;
  try {
    return await tokenRequest(cognito, { grant_type: "refresh_token", refresh_token });
  } catch {
    sessionStorage.removeItem(REFRESH);
    return null;
  }
}

export function forget(): void {
  sessionStorage.removeItem(REFRESH);
}

/** Cognito's sign-out, which comes back to the console. */
export function logoutUrl(cognito: Cognito): string {
  const query = new URLSearchParams({ client_id: cognito.client_id, logout_uri: cognito.redirect_uri });
  return `${cognito.domain}/logout?${query}`;
}
