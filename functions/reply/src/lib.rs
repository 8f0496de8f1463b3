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
use common::auth::{Caller, Team};
use common::domain::membership::MembershipRules;
use common::domain::routing::RoutingRules;
use common::domain::safety::SafetyPolicy;
use common::domain::sla_policy::SlaPolicyConfig;
use common::domain::{Category, Status};
use common::http::{IdempotencyHeader, JsonBody, MessagesQuery, Params, Routes};
use common::messaging::{
    AgentChanges, AttachmentRef, AutomationRules, BlockRequest, BroadcastRequest, CloseReport,
    ConversationChanges, Idempotency, PageRequest, QueueFilter, QueueSort, ReadRequest,
    ReplyRequest, TemplateFilter, TemplateRequest, Variables, WarnRequest, WebhookRequest,
};
use common::{ApiResult, AppState};
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::default()
        .on(Method::GET, "/v1/admin/conversations", queue)
        .on(
            Method::GET,
            "/v1/admin/conversations/{id}",
            get_conversation,
        )
        .on(
            Method::PATCH,
            "/v1/admin/conversations/{id}",
            update_conversation,
        )
        .on(
            Method::GET,
            "/v1/admin/conversations/{id}/messages",
            list_messages,
        )
        .on(
            Method::GET,
            "/v1/admin/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
            admin_download_attachment,
        )
        .on(Method::POST, "/v1/admin/conversations/{id}/replies", reply)
        .on(Method::POST, "/v1/admin/conversations/{id}/read", mark_read)
        .on(
            Method::GET,
            "/v1/admin/conversations/{id}/sla",
            sla_timeline,
        )
        .on(Method::GET, "/v1/admin/agents", list_agents)
        .on(Method::PATCH, "/v1/admin/agents/{id}", update_agent)
        .on(Method::GET, "/v1/admin/webhooks", list_webhooks)
        .on(Method::POST, "/v1/admin/webhooks", create_webhook)
        .on(Method::DELETE, "/v1/admin/webhooks/{id}", delete_webhook)
        .on(
            Method::GET,
            "/v1/admin/webhooks/{id}/deliveries",
            webhook_deliveries,
        )
        .on(Method::GET, "/v1/admin/audit", audit_log)
        .on(Method::POST, "/v1/admin/users/{id}/block", block_user)
        .on(Method::POST, "/v1/admin/users/{id}/unblock", unblock_user)
        .on(Method::POST, "/v1/admin/users/{id}/warn", warn_user)
        .on(
            Method::GET,
            "/v1/admin/moderation/conversations/{id}",
            moderate_conversation,
        )
        .on(
            Method::GET,
            "/v1/admin/moderation/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
            moderate_attachment,
        )
        .on(Method::GET, "/v1/admin/moderation/reports", reports)
        .on(
            Method::GET,
            "/v1/admin/moderation/reports/{id}",
            report_in_context,
        )
        .on(
            Method::POST,
            "/v1/admin/moderation/reports/{id}/close",
            close_report,
        )
        .on(Method::GET, "/v1/admin/moderation/held", held_messages)
        .on(
            Method::POST,
            "/v1/admin/moderation/held/{id}/release",
            release_held,
        )
        .on(
            Method::POST,
            "/v1/admin/moderation/held/{id}/reject",
            reject_held,
        )
        .on(Method::GET, "/v1/admin/safety-policy", get_safety_policy)
        .on(Method::PUT, "/v1/admin/safety-policy", put_safety_policy)
        .on(Method::GET, "/v1/admin/broadcasts", list_broadcasts)
        .on(Method::POST, "/v1/admin/broadcasts", create_broadcast)
        .on(Method::GET, "/v1/admin/broadcasts/{id}", get_broadcast)
        .on(
            Method::POST,
            "/v1/admin/broadcasts/{id}/cancel",
            cancel_broadcast,
        )
        .on(Method::GET, "/v1/admin/templates", list_templates)
        .on(Method::POST, "/v1/admin/templates", create_template)
        .on(Method::GET, "/v1/admin/templates/{id}", get_template)
        .on(Method::PUT, "/v1/admin/templates/{id}", update_template)
        .on(Method::DELETE, "/v1/admin/templates/{id}", delete_template)
        .on(
            Method::POST,
            "/v1/admin/templates/{id}/preview",
            preview_template,
        )
        .on(
            Method::GET,
            "/v1/admin/membership-rules",
            get_membership_rules,
        )
        .on(
            Method::PUT,
            "/v1/admin/membership-rules",
            put_membership_rules,
        )
        .on(
            Method::GET,
            "/v1/admin/automation-rules",
            get_automation_rules,
        )
        .on(
            Method::PUT,
            "/v1/admin/automation-rules",
            put_automation_rules,
        )
        .on(Method::GET, "/v1/admin/routing-rules", get_routing_rules)
        .on(Method::PUT, "/v1/admin/routing-rules", put_routing_rules)
        .on(Method::GET, "/v1/admin/sla-policy", get_sla_policy)
        .on(Method::PUT, "/v1/admin/sla-policy", put_sla_policy)
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
    caller: Caller,
    Params(query): Params<QueueQuery>,
) -> ApiResult<impl IntoResponse> {
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
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.admin_get_conversation(&caller, &id).await?))
}

async fn update_conversation(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(changes): JsonBody<ConversationChanges>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.update_conversation(&caller, &id, changes).await?))
}

async fn list_messages(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Params(query): Params<MessagesQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        app.admin_list_messages(&caller, &id, query.order, page)
            .await?,
    ))
}

async fn reply(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<ReplyRequest>,
) -> ApiResult<impl IntoResponse> {
    let route = format!("POST /v1/admin/conversations/{id}/replies");
    let key = key
        .0
        .map(|k| Idempotency::new(caller.id(), &k, &route, &request))
        .transpose()?;
    let message = app.reply(&caller, &id, request, key.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

async fn mark_read(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ReadRequest>,
) -> ApiResult<StatusCode> {
    app.admin_mark_read(&caller, &id, &request.message_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sla_timeline(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.sla_timeline(&caller, &id).await?))
}

async fn get_sla_policy(
    State(app): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.get_sla_policy(&caller).await?))
}

async fn put_sla_policy(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(policy): JsonBody<SlaPolicyConfig>,
) -> ApiResult<impl IntoResponse> {
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
    caller: Caller,
    Params(query): Params<TemplateQuery>,
) -> ApiResult<impl IntoResponse> {
    let filter = TemplateFilter {
        team: query.team,
        category: query.category,
    };
    Ok(Json(app.list_templates(&caller, filter).await?))
}

async fn create_template(
    State(app): State<AppState>,
    caller: Caller,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<TemplateRequest>,
) -> ApiResult<impl IntoResponse> {
    let key = key
        .0
        .map(|k| Idempotency::new(caller.id(), &k, "POST /v1/admin/templates", &request))
        .transpose()?;
    let template = app.create_template(&caller, request, key.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(template)))
}

async fn get_template(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.get_template(&caller, &id).await?))
}

async fn update_template(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TemplateRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.update_template(&caller, &id, request).await?))
}

async fn delete_template(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
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
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<PreviewRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        app.preview_template(&caller, &id, request.variables.as_ref())
            .await?,
    ))
}

async fn get_routing_rules(
    State(app): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.get_routing_rules(&caller).await?))
}

async fn put_routing_rules(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(rules): JsonBody<RoutingRules>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.put_routing_rules(&caller, rules).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsQuery {
    team: Option<Team>,
}

async fn list_agents(
    State(app): State<AppState>,
    caller: Caller,
    Params(query): Params<AgentsQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.list_agents(&caller, query.team).await?))
}

async fn update_agent(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(changes): JsonBody<AgentChanges>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.update_agent(&caller, &id, changes).await?))
}

async fn get_membership_rules(
    State(app): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.get_membership_rules(&caller).await?))
}

async fn put_membership_rules(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(rules): JsonBody<MembershipRules>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.put_membership_rules(&caller, rules).await?))
}

async fn get_automation_rules(
    State(app): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.get_automation_rules(&caller).await?))
}

async fn put_automation_rules(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(rules): JsonBody<AutomationRules>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.put_automation_rules(&caller, rules).await?))
}

async fn list_webhooks(
    State(app): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.list_webhooks(&caller).await?))
}

async fn create_webhook(
    State(app): State<AppState>,
    caller: Caller,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<WebhookRequest>,
) -> ApiResult<impl IntoResponse> {
    let key = key
        .0
        .map(|k| Idempotency::new(caller.id(), &k, "POST /v1/admin/webhooks", &request))
        .transpose()?;
    let webhook = app.create_webhook(&caller, request, key.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(webhook)))
}

async fn delete_webhook(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.delete_webhook(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn webhook_deliveries(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
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
    caller: Caller,
    Params(query): Params<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.list_broadcasts(&caller, page).await?))
}

/// 202: the broadcast is stored; the fan-out runs in the background.
async fn create_broadcast(
    State(app): State<AppState>,
    caller: Caller,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<BroadcastRequest>,
) -> ApiResult<impl IntoResponse> {
    let key = key
        .0
        .map(|k| Idempotency::new(caller.id(), &k, "POST /v1/admin/broadcasts", &request))
        .transpose()?;
    let broadcast = app.create_broadcast(&caller, request, key.as_ref()).await?;
    Ok((StatusCode::ACCEPTED, Json(broadcast)))
}

async fn get_broadcast(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.get_broadcast(&caller, &id).await?))
}

async fn cancel_broadcast(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.cancel_broadcast(&caller, &id).await?))
}

async fn get_safety_policy(
    State(app): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.get_safety_policy(&caller).await?))
}

async fn put_safety_policy(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(policy): JsonBody<SafetyPolicy>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.put_safety_policy(&caller, policy).await?))
}

async fn held_messages(
    State(app): State<AppState>,
    caller: Caller,
    Params(query): Params<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.held_messages(&caller, page).await?))
}

async fn release_held(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.release_held(&caller, &id).await?))
}

async fn reject_held(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
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
    caller: Caller,
    Params(query): Params<AuditQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        app.audit_log(&caller, query.month.as_deref(), page).await?,
    ))
}

async fn block_user(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<BlockRequest>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.block_user(&caller, &id, request).await?))
}

async fn unblock_user(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.unblock_user(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reports(
    State(app): State<AppState>,
    caller: Caller,
    Params(query): Params<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.reports(&caller, page).await?))
}

async fn report_in_context(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.report_in_context(&caller, &id).await?))
}

async fn close_report(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<CloseReport>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(app.close_report(&caller, &id, request).await?))
}

async fn warn_user(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<WarnRequest>,
) -> ApiResult<impl IntoResponse> {
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
    caller: Caller,
    Path(path): AttachmentPath,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        app.admin_download_attachment(&caller, AttachmentRef::from(&path))
            .await?,
    ))
}

async fn moderate_attachment(
    State(app): State<AppState>,
    caller: Caller,
    Path(path): AttachmentPath,
    Params(query): Params<ModerateQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        app.moderate_attachment(&caller, AttachmentRef::from(&path), &query.reason)
            .await?,
    ))
}

async fn moderate_conversation(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Params(query): Params<ModerateQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        app.moderate_conversation(&caller, &id, &query.reason)
            .await?,
    ))
}
