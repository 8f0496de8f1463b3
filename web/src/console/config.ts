// The console's runtime settings, written where it is served (`config.json` beside the
// page): the dev server makes them locally; on AWS the deploy step writes them.

export interface DemoPerson {
  name: string;
  role: string;
  token: string;
}

export interface Config {
  /** The HTTP API's base URL ("" for the page's own origin). */
  api: string;
  /** How people sign in: the dev server's demo people and pasted tokens, or Cognito. */
  sign_in:
    | { kind: "local"; demo: DemoPerson[] }
    | { kind: "cognito"; domain: string; client_id: string; redirect_uri: string };
}

export async function loadConfig(): Promise<Config> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`the console's settings could not be read (${response.status})`);
  return (await response.json()) as Config;
}
