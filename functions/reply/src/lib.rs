//! `reply`: the admin routes. Agents, seniors and managers work their teams' queues,
//! read conversations with internal notes, reply, and change status, assignee,
//! priority, category and team; read a conversation's SLA timeline; keep reply
//! templates; read the directory of admins. Seniors and managers send broadcasts;
//! managers set the SLA policy, the routing, membership and automation rules, and
//! agents' capacity, working hours and away flag; moderators set the safety policy,
//! release or reject the messages it holds, work users' reports, warn and block users,
//! and read the audit log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use common::domain::identity::{Access, Team};
use common::domain::membership::MembershipRules;
use common::domain::routing::RoutingRules;
use common::domain::safety::SafetyPolicy;
use common::domain::sla_policy::SlaPolicyConfig;
use common::domain::{Category, Status};
use common::http::{Authenticated, IdempotencyHeader, JsonBody, MessagesQuery, Params, Routes};
use common::messaging::{
    AgentChanges, AttachmentRef, AutomationRules, BlockRequest, BroadcastRequest, CloseReport,
    ConversationChanges, PageRequest, QueueFilter, QueueSort, ReadRequest, Replacement,
    ReplyRequest, TemplateFilter, TemplateRequest, Variables, WarnRequest, WebhookRequest,
};
use common::{AppState, HttpResult};
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::default()
        .on(Method::GET, "/v1/admin/conversations", Access::Admin, queue)
        .on(Method::GET, "/v1/admin/conversations/{id}", Access::Admin, get_conversation)
        .on(Method::PATCH, "/v1/admin/conversations/{id}", Access::Admin, update_conversation)
        .on(Method::GET, "/v1/admin/conversations/{id}/messages", Access::Admin, list_messages)
        .on(Method::GET, "/v1/admin/conversations/{id}/messages/{message_id}/attachments/{attachment_id}", Access::Admin, admin_download_attachment)
        .on(Method::POST, "/v1/admin/conversations/{id}/replies", Access::Admin, reply)
        .on(Method::POST, "/v1/admin/conversations/{id}/read", Access::Admin, mark_read)
        .on(Method::GET, "/v1/admin/conversations/{id}/sla", Access::Admin, sla_timeline)
        .on(Method::GET, "/v1/admin/agents", Access::Admin, list_agents)
        .on(Method::PATCH, "/v1/admin/agents/{id}", Access::Admin, update_agent)
        .on(Method::GET, "/v1/admin/webhooks", Access::Manager, list_webhooks)
        .on(Method::POST, "/v1/admin/webhooks", Access::Manager, create_webhook)
        .on(Method::DELETE, "/v1/admin/webhooks/{id}", Access::Manager, delete_webhook)
        .on(Method::GET, "/v1/admin/webhooks/{id}/deliveries", Access::Manager, webhook_deliveries)
        .on(Method::GET, "/v1/admin/audit", Access::Moderator, audit_log)
        .on(Method::POST, "/v1/admin/users/{id}/block", Access::Moderator, block_user)
        .on(Method::POST, "/v1/admin/users/{id}/unblock", Access::Moderator, unblock_user)
        .on(Method::POST, "/v1/admin/users/{id}/warn", Access::Moderator, warn_user)
        .on(Method::GET, "/v1/admin/moderation/conversations/{id}", Access::Moderator, moderate_conversation)
        .on(Method::GET, "/v1/admin/moderation/conversations/{id}/messages/{message_id}/attachments/{attachment_id}", Access::Moderator, moderate_attachment)
        .on(Method::GET, "/v1/admin/moderation/reports", Access::Moderator, reports)
        .on(Method::GET, "/v1/admin/moderation/reports/{id}", Access::Moderator, report_in_context)
        .on(Method::POST, "/v1/admin/moderation/reports/{id}/close", Access::Moderator, close_report)
        .on(Method::GET, "/v1/admin/moderation/held", Access::Moderator, held_messages)
        .on(Method::POST, "/v1/admin/moderation/held/{id}/release", Access::Moderator, release_held)
        .on(Method::POST, "/v1/admin/moderation/held/{id}/reject", Access::Moderator, reject_held)
        .on(Method::GET, "/v1/admin/safety-policy", Access::Moderator, get_safety_policy)
        .on(Method::PUT, "/v1/admin/safety-policy", Access::Moderator, put_safety_policy)
        .on(Method::GET, "/v1/admin/broadcasts", Access::Supervisor, list_broadcasts)
        .on(Method::POST, "/v1/admin/broadcasts", Access::Supervisor, create_broadcast)
        .on(Method::GET, "/v1/admin/broadcasts/{id}", Access::Supervisor, get_broadcast)
        .on(Method::POST, "/v1/admin/broadcasts/{id}/cancel", Access::Supervisor, cancel_broadcast)
        .on(Method::GET, "/v1/admin/templates", Access::Admin, list_templates)
        .on(Method::POST, "/v1/admin/templates", Access::Admin, create_template)
        .on(Method::GET, "/v1/admin/templates/{id}", Access::Admin, get_template)
        .on(Method::PUT, "/v1/admin/templates/{id}", Access::Admin, update_template)
        .on(Method::DELETE, "/v1/admin/templates/{id}", Access::Admin, delete_template)
        .on(Method::POST, "/v1/admin/templates/{id}/preview", Access::Admin, preview_template)
        .on(Method::GET, "/v1/admin/membership-rules", Access::Admin, get_membership_rules)
        .on(Method::PUT, "/v1/admin/membership-rules", Access::Manager, put_membership_rules)
        .on(Method::GET, "/v1/admin/automation-rules", Access::Admin, get_automation_rules)
        .on(Method::PUT, "/v1/admin/automation-rules", Access::Manager, put_automation_rules)
        .on(Method::GET, "/v1/admin/routing-rules", Access::Admin, get_routing_rules)
        .on(Method::PUT, "/v1/admin/routing-rules", Access::Manager, put_routing_rules)
        .on(Method::GET, "/v1/admin/sla-policy", Access::Admin, get_sla_policy)
        .on(Method::PUT, "/v1/admin/sla-policy", Access::Manager, put_sla_policy)
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<Status>,
    team: Option<Team>,
    category: Option<Category>,
    assignee: Option<String>,
    #[serde(default)]
    sort: QueueSort,
}

async fn queue(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<QueueQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = QueueFilter {
        status: query.status,
        team: query.team,
        category: query.category,
        assignee: query.assignee,
        sort: query.sort,
    };
    Ok(Json(app.queue(&caller, filter, page).await?))
}

async fn get_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.admin_get_conversation(&caller, &id).await?))
}

async fn update_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(changes): JsonBody<ConversationChanges>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.update_conversation(&caller, &id, changes).await?))
}

async fn list_messages(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Params(query): Params<MessagesQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        app.admin_list_messages(&caller, &id, query.order, page)
            .await?,
    ))
}

async fn reply(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<ReplyRequest>,
) -> HttpResult<impl IntoResponse> {
    let route = format!("POST /v1/admin/conversations/{id}/replies");
    let key = key.for_request(&caller, &route, &request)?;
    let message = app.reply(&caller, &id, request, key.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

async fn mark_read(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ReadRequest>,
) -> HttpResult<StatusCode> {
    app.admin_mark_read(&caller, &id, &request.message_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sla_timeline(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.sla_timeline(&caller, &id).await?))
}

async fn get_sla_policy(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_sla_policy(&caller).await?))
}

async fn put_sla_policy(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(policy): JsonBody<Replacement<SlaPolicyConfig>>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_sla_policy(&caller, policy).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateQuery {
    team: Option<Team>,
    category: Option<Category>,
}

async fn list_templates(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<TemplateQuery>,
) -> HttpResult<impl IntoResponse> {
    let filter = TemplateFilter {
        team: query.team,
        category: query.category,
    };
    Ok(Json(app.list_templates(&caller, filter).await?))
}

async fn create_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<TemplateRequest>,
) -> HttpResult<impl IntoResponse> {
    let key = key.for_request(&caller, "POST /v1/admin/templates", &request)?;
    let template = app.create_template(&caller, request, key.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(template)))
}

async fn get_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_template(&caller, &id).await?))
}

async fn update_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TemplateRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.update_template(&caller, &id, request).await?))
}

async fn delete_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.delete_template(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    #[serde(default)]
    variables: Option<Variables>,
}

async fn preview_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<PreviewRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(
        app.preview_template(&caller, &id, request.variables.as_ref())
            .await?,
    ))
}

async fn get_routing_rules(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_routing_rules(&caller).await?))
}

async fn put_routing_rules(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(rules): JsonBody<Replacement<RoutingRules>>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_routing_rules(&caller, rules).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsQuery {
    team: Option<Team>,
}

async fn list_agents(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<AgentsQuery>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.list_agents(&caller, query.team).await?))
}

async fn update_agent(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(changes): JsonBody<AgentChanges>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.update_agent(&caller, &id, changes).await?))
}

async fn get_membership_rules(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_membership_rules(&caller).await?))
}

async fn put_membership_rules(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(rules): JsonBody<Replacement<MembershipRules>>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_membership_rules(&caller, rules).await?))
}

async fn get_automation_rules(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_automation_rules(&caller).await?))
}

async fn put_automation_rules(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(rules): JsonBody<Replacement<AutomationRules>>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_automation_rules(&caller, rules).await?))
}

async fn list_webhooks(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.list_webhooks(&caller).await?))
}

async fn create_webhook(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<WebhookRequest>,
) -> HttpResult<impl IntoResponse> {
    let key = key.for_request(&caller, "POST /v1/admin/webhooks", &request)?;
    let webhook = app.create_webhook(&caller, request, key.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(webhook)))
}

async fn delete_webhook(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.delete_webhook(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn webhook_deliveries(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.webhook_deliveries(&caller, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list_broadcasts(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<PageQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.list_broadcasts(&caller, page).await?))
}

/// 202: the broadcast is stored; the fan-out runs in the background.
async fn create_broadcast(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<BroadcastRequest>,
) -> HttpResult<impl IntoResponse> {
    let key = key.for_request(&caller, "POST /v1/admin/broadcasts", &request)?;
    let broadcast = app.create_broadcast(&caller, request, key.as_ref()).await?;
    Ok((StatusCode::ACCEPTED, Json(broadcast)))
}

async fn get_broadcast(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_broadcast(&caller, &id).await?))
}

async fn cancel_broadcast(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.cancel_broadcast(&caller, &id).await?))
}

async fn get_safety_policy(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_safety_policy(&caller).await?))
}

async fn put_safety_policy(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(policy): JsonBody<Replacement<SafetyPolicy>>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.put_safety_policy(&caller, policy).await?))
}

async fn held_messages(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<PageQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.held_messages(&caller, page).await?))
}

async fn release_held(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.release_held(&caller, &id).await?))
}

async fn reject_held(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.reject_held(&caller, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// `YYYY-MM`; this month if absent.
    month: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn audit_log(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<AuditQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        app.audit_log(&caller, query.month.as_deref(), page).await?,
    ))
}

async fn block_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<BlockRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.block_user(&caller, &id, request).await?))
}

async fn unblock_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.unblock_user(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reports(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<PageQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.reports(&caller, page).await?))
}

async fn report_in_context(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.report_in_context(&caller, &id).await?))
}

async fn close_report(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<CloseReport>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.close_report(&caller, &id, request).await?))
}

async fn warn_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<WarnRequest>,
) -> HttpResult<impl IntoResponse> {
    let warning = app.warn_user(&caller, &id, request).await?;
    Ok((StatusCode::CREATED, Json(warning)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModerateQuery {
    /// Why the moderator reads it: kept in the audit log.
    reason: String,
}

/// `{id}/messages/{message_id}/attachments/{attachment_id}`.
type AttachmentPath = Path<(String, String, String)>;

async fn admin_download_attachment(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(path): AttachmentPath,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(
        app.admin_download_attachment(&caller, AttachmentRef::from(&path))
            .await?,
    ))
}

async fn moderate_attachment(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(path): AttachmentPath,
    Params(query): Params<ModerateQuery>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(
        app.moderate_attachment(&caller, AttachmentRef::from(&path), &query.reason)
            .await?,
    ))
}

async fn moderate_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Params(query): Params<ModerateQuery>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(
        app.moderate_conversation(&caller, &id, &query.reason)
            .await?,
    ))
}
