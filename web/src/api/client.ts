// The typed API client the console and the widget share: openapi-fetch over the types
// generated from the served OpenAPI document (`npm run api` regenerates schema.d.ts).
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Conversation = Schemas["Conversation"];
export type Message = Schemas["Message"];
export type ApiError = Schemas["Error"];
export type Api = Client<paths>;

/** A client of the API at `baseUrl` that sends the bearer token `token()` gives. */
export function apiClient(baseUrl: string, token: () => Promise<string | null>): Api {
  const client = createClient<paths>({ baseUrl });
  const bearer: Middleware = {
    async onRequest({ request }) {
      const current = await token();
      if (current) request.headers.set("Authorization", `Bearer ${current}`);
      return request;
    },
  };
  client.use(bearer);
  return client;
}

/** What a failed call says, as people read it (the API's message, not its code). */
export function errorMessage(error: ApiError | undefined, fallback: string): string {
  return error?.error.message ?? fallback;
}
