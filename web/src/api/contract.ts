// Compile-time proof that the generated client fits how the browser code calls the API:
// if the document changes a path, a field, an enum or a type these calls rely on, the
// type check (part of `make test`) fails. Nothing here runs.
import type { Api, Conversation, Message } from "./client";

export async function aUsersConversation(api: Api): Promise<Message | undefined> {
  const started = await api.POST("/v1/conversations", {
    body: { type: "direct", listing_id: "L-1001", body: "Is it still available?" },
    params: { header: { "Idempotency-Key": "k1" } },
  });
  const conversation: Conversation | undefined =
    started.data && "conversation" in started.data ? started.data.conversation : undefined;
  if (!conversation) return undefined;
  const status: "open" | "pending" | "resolved" | "merged" = conversation.status;
  const mergedInto: string | null = conversation.merged_into;
  const unread: number = conversation.unread_count;
  const page = await api.GET("/v1/conversations/{id}/messages", {
    params: { path: { id: conversation.id }, query: { order: "desc", limit: 20 } },
  });
  const newest: Message | undefined = page.data?.items[0];
  const next: string | null | undefined = page.data?.next_cursor;
  void [status, mergedInto, unread, next];
  return newest;
}

export async function anAgentsReply(api: Api, id: string): Promise<boolean> {
  const queue = await api.GET("/v1/admin/conversations", {
    params: { query: { status: "open", sort: "due", assignee: "me" } },
  });
  const due: string | null | undefined = queue.data?.items[0]?.sla?.first_response_due;
  const replied = await api.POST("/v1/admin/conversations/{id}/replies", {
    params: { path: { id } },
    body: { body: "Open My Ads and choose Renew.", internal: false, status: "pending" },
  });
  const sender: "user" | "admin" | "system" | undefined = replied.data?.sender_role;
  void [due, sender];
  return replied.response.ok;
}

export async function anAgentsMergeAndSnooze(api: Api, id: string, into: string): Promise<boolean> {
  const merged = await api.POST("/v1/admin/conversations/{id}/merge", { params: { path: { id } }, body: { into } });
  const from: string[] | undefined = merged.data?.merged_from;
  const snoozed = await api.PATCH("/v1/admin/conversations/{id}", {
    params: { path: { id: into } },
    body: { snoozed_until: "2026-11-24T09:00:00Z" },
  });
  const until: string | null | undefined = snoozed.data?.snoozed_until;
  const asleep = await api.GET("/v1/admin/conversations", { params: { query: { snoozed: true } } });
  const broadcasts = await api.GET("/v1/admin/broadcasts");
  const read: number | undefined = broadcasts.data?.items[0]?.read;
  void [from, until, asleep, read];
  return merged.response.ok;
}

export async function aManagersSave(api: Api): Promise<number | undefined> {
  const current = await api.GET("/v1/admin/sla-policy");
  if (!current.data) return undefined;
  const edited = { ...current.data, policy: { ...current.data.policy, warn_at_percent: 75 } };
  const saved = await api.PUT("/v1/admin/sla-policy", { body: edited });
  if (saved.response.status === 409) return undefined;
  return saved.data?.version;
}
