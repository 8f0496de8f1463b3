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
use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::domain::conversation::ConversationView;
use common::domain::directory::AgentProfile;
use common::domain::identity::{Access, Team};
use common::domain::membership::MembershipRules;
use common::domain::message::Message;
use common::domain::routing::RoutingRules;
use common::domain::safety::SafetyPolicy;
use common::domain::sla_policy::SlaPolicyConfig;
use common::domain::webhook::Delivery;
use common::domain::{Category, Priority, Status};
use common::http::{
    Authenticated, Conflict, IdempotencyHeader, JsonBody, MessagesQuery, NotFound, Params, Routes,
};
use common::messaging::AttachmentTransfer;
use common::messaging::AuditEntry;
use common::messaging::Block;
use common::messaging::BroadcastView;
use common::messaging::Held;
use common::messaging::ModeratorView;
use common::messaging::Report;
use common::messaging::ReportInContext;
use common::messaging::SlaTimeline;
use common::messaging::Template;
use common::messaging::WebhookView;
use common::messaging::{AdminSearchFilter, SearchHit, SearchPage};
use common::messaging::{
    AgentChanges, AttachmentRef, AutomationRules, BlockRequest, BroadcastRequest, CloseReport,
    ConversationChanges, MergeRequest, PageRequest, QueueFilter, QueueSort, Reach, ReachRequest,
    ReadRequest, Replacement, ReplyRequest, TemplateFilter, TemplateRequest, Variables,
    WarnRequest, WebhookRequest,
};
use common::messaging::{Page, Versioned};
use common::route;
use common::{AppState, HttpResult};
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::default()
        .on(Access::Admin, route!(queue))
        .on(Access::AdminOrModerator, route!(admin_search))
        .on(Access::Admin, route!(get_conversation))
        .on(Access::Admin, route!(user_conversations))
        .on(Access::Admin, route!(update_conversation))
        .on(Access::Admin, route!(merge_conversation))
        .on(Access::Admin, route!(list_messages))
        .on(Access::Admin, route!(admin_download_attachment))
        .on(Access::Admin, route!(reply))
        .on(Access::Admin, route!(mark_read))
        .on(Access::Admin, route!(sla_timeline))
        .on(Access::Admin, route!(list_agents))
        .on(Access::Admin, route!(update_agent))
        .on(Access::Manager, route!(list_webhooks))
        .on(Access::Manager, route!(create_webhook))
        .on(Access::Manager, route!(delete_webhook))
        .on(Access::Manager, route!(webhook_deliveries))
        .on(Access::Moderator, route!(audit_log))
        .on(Access::Moderator, route!(block_user))
        .on(Access::Moderator, route!(unblock_user))
        .on(Access::Moderator, route!(warn_user))
        .on(Access::Moderator, route!(moderate_conversation))
        .on(Access::Moderator, route!(moderate_attachment))
        .on(Access::Moderator, route!(reports))
        .on(Access::Moderator, route!(report_in_context))
        .on(Access::Moderator, route!(close_report))
        .on(Access::Moderator, route!(held_messages))
        .on(Access::Moderator, route!(release_held))
        .on(Access::Moderator, route!(reject_held))
        .on(Access::Moderator, route!(get_safety_policy))
        .on(Access::Moderator, route!(put_safety_policy))
        .on(Access::Supervisor, route!(list_broadcasts))
        .on(Access::Supervisor, route!(create_broadcast))
        .on(Access::Supervisor, route!(broadcast_reach))
        .on(Access::Supervisor, route!(get_broadcast))
        .on(Access::Supervisor, route!(cancel_broadcast))
        .on(Access::Admin, route!(list_templates))
        .on(Access::Admin, route!(create_template))
        .on(Access::Admin, route!(get_template))
        .on(Access::Admin, route!(update_template))
        .on(Access::Admin, route!(delete_template))
        .on(Access::Admin, route!(preview_template))
        .on(Access::Admin, route!(get_membership_rules))
        .on(Access::Manager, route!(put_membership_rules))
        .on(Access::Admin, route!(get_automation_rules))
        .on(Access::Manager, route!(put_automation_rules))
        .on(Access::Admin, route!(get_routing_rules))
        .on(Access::Manager, route!(put_routing_rules))
        .on(Access::Admin, route!(get_sla_policy))
        .on(Access::Manager, route!(put_sla_policy))
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

/// The GET and PUT of a versioned configuration document: what `GET` shows, `PUT` takes
/// back edited (a `Replacement` names the version it replaces; a stale one is a 409).
macro_rules! configuration_document {
    (
        $path:literal, $policy:ty,
        $get:ident ($get_id:literal, $get_doc:literal),
        $put:ident ($put_id:literal, $put_doc:literal) $(,)?
    ) => {
        #[doc = $get_doc]
        #[utoipa::path(
            get,
            path = $path,
            operation_id = $get_id,
            tag = "admins",
            responses((status = 200, description = "The document in force", body = Versioned<$policy>))
        )]
        async fn $get(
            State(app): State<AppState>,
            Authenticated(caller): Authenticated,
        ) -> HttpResult<Json<Versioned<$policy>>> {
            Ok(Json(app.$get(&caller).await?))
        }

        #[doc = $put_doc]
        #[doc = ""]
        #[doc = "Send back what the GET returned, edited: a stale `version` is a 409, a missing one a 400."]
        #[utoipa::path(
            put,
            path = $path,
            operation_id = $put_id,
            tag = "admins",
            request_body = Replacement<$policy>,
            responses(
                (status = 200, description = "Saved", body = Versioned<$policy>),
                (status = 409, response = Conflict),
            )
        )]
        async fn $put(
            State(app): State<AppState>,
            Authenticated(caller): Authenticated,
            JsonBody(edit): JsonBody<Replacement<$policy>>,
        ) -> HttpResult<Json<Versioned<$policy>>> {
            Ok(Json(app.$put(&caller, edit).await?))
        }
    };
}

configuration_document!(
    "/v1/admin/sla-policy",
    SlaPolicyConfig,
    get_sla_policy(
        "getSlaPolicy",
        "The SLA policy in force (version 0: the built-in default)."
    ),
    put_sla_policy(
        "putSlaPolicy",
        "Save a new version (managers); it applies to clocks started from now on."
    ),
);

configuration_document!(
    "/v1/admin/routing-rules",
    RoutingRules,
    get_routing_rules(
        "getRoutingRules",
        "The routing rules in force: category, keywords, listing category and user tier → team and priority (version 0: none saved, built-in defaults)."
    ),
    put_routing_rules(
        "putRoutingRules",
        "Save the next version of the routing rules (managers); they apply to conversations routed from then on."
    ),
);

configuration_document!(
    "/v1/admin/membership-rules",
    MembershipRules,
    get_membership_rules(
        "getMembershipRules",
        "Who may start which kind of conversation (version 0: none saved, everyone signed in may)."
    ),
    put_membership_rules(
        "putMembershipRules",
        "Save the next version of the membership rules (managers)."
    ),
);

configuration_document!(
    "/v1/admin/automation-rules",
    AutomationRules,
    get_automation_rules(
        "getAutomationRules",
        "Automatic acknowledgement and automatic answers to frequent questions (version 0: both off)."
    ),
    put_automation_rules(
        "putAutomationRules",
        "Save the next version of the automation rules (managers); an answer must name an existing template."
    ),
);

configuration_document!(
    "/v1/admin/safety-policy",
    SafetyPolicy,
    get_safety_policy(
        "getSafetyPolicy",
        "The abuse filter's policy in force (moderators and managers)."
    ),
    put_safety_policy(
        "putSafetyPolicy",
        "Save the next version of the abuse filter's policy (moderators and managers); applies within a minute."
    ),
);

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct QueueQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    #[param(inline)]
    status: Option<Status>,
    #[param(inline)]
    team: Option<Team>,
    #[param(inline)]
    category: Option<Category>,
    #[param(inline)]
    priority: Option<Priority>,
    assignee: Option<String>,
    /// `true`: only snoozed conversations (they are pending: the status defaults to
    /// `pending`); `false`: none of them.
    snoozed: Option<bool>,
    #[serde(default)]
    #[param(inline)]
    sort: QueueSort,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AdminSearchQuery {
    /// What to find, as in `GET /v1/search`; or a conversation's id; or a user's id,
    /// name or email.
    #[param(min_length = 1, max_length = 200)]
    q: String,
    /// Results a page, 1 to 50 (20 by default).
    limit: Option<u32>,
    cursor: Option<String>,
    /// One of the caller's teams (all of them by default).
    #[param(inline)]
    team: Option<Team>,
    #[param(inline)]
    status: Option<Status>,
    #[param(inline)]
    category: Option<Category>,
    /// `me`, `none`, or an admin's id.
    assignee: Option<String>,
    /// Written at or after this time.
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Written before this time.
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// Moderators (and managers): why they search buyer–seller threads. With it, the
    /// search reads those threads instead of the support queue, and is audited.
    #[param(max_length = 500)]
    reason: Option<String>,
}

/// Search support conversations of the caller's teams (seniors and managers: all),
/// internal notes included; find one by its id, or by the user's id, name or email.
/// Moderators search buyer–seller threads, with a `reason`. Newest first; a page may
/// hold fewer than `limit` results and still have a `next_cursor`.
#[utoipa::path(
    get,
    path = "/v1/admin/search",
    operation_id = "adminSearch",
    tag = "admins",
    params(AdminSearchQuery),
    responses(
        (status = 200, description = "A page of results", body = Page<SearchHit>),
    )
)]
async fn admin_search(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<AdminSearchQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = SearchPage::parse(query.limit, query.cursor.as_deref())?;
    let filter = AdminSearchFilter {
        team: query.team,
        status: query.status,
        category: query.category,
        assignee: query.assignee,
        since: query.since,
        until: query.until,
        reason: query.reason,
    };
    Ok(Json(
        app.admin_search(&caller, &query.q, filter, page).await?,
    ))
}

/// A user's support conversations that the caller works (all for seniors and
/// managers), the newest first: "the user's other conversations" beside one.
#[utoipa::path(
    get,
    path = "/v1/admin/users/{id}/conversations",
    operation_id = "userConversations",
    tag = "admins",
    params(("id" = String, Path, description = "The user's id"), PageQuery),
    responses(
        (status = 200, description = "A page", body = Page<ConversationView>),
    )
)]
async fn user_conversations(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Params(query): Params<PageQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.user_conversations(&caller, &id, page).await?))
}

/// The queue of the caller's teams (all teams for seniors and managers).
#[utoipa::path(
    get,
    path = "/v1/admin/conversations",
    operation_id = "queue",
    tag = "admins",
    params(QueueQuery),
    responses(
        (status = 200, description = "A page", body = Page<ConversationView>),
    )
)]
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
        priority: query.priority,
        assignee: query.assignee,
        snoozed: query.snoozed,
        sort: query.sort,
    };
    Ok(Json(app.queue(&caller, filter, page).await?))
}

#[utoipa::path(
    get,
    path = "/v1/admin/conversations/{id}",
    operation_id = "adminGetConversation",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation", body = ConversationView),
        (status = 404, response = NotFound),
    )
)]
async fn get_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.admin_get_conversation(&caller, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/v1/admin/conversations/{id}",
    operation_id = "updateConversation",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = ConversationChanges,
    responses(
        (status = 200, description = "Updated", body = ConversationView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn update_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(changes): JsonBody<ConversationChanges>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.update_conversation(&caller, &id, changes).await?))
}

/// Merge a user's duplicate support conversation into another of theirs: its messages
/// are shown in the target in time order (linked, not moved), it becomes `merged` with
/// `merged_into` pointing at the target, and its SLA clocks stop. Refused across users,
/// for buyer–seller threads, into itself and into a merged one; repeating a merge
/// changes nothing and answers the same.
#[utoipa::path(
    post,
    path = "/v1/admin/conversations/{id}/merge",
    operation_id = "mergeConversation",
    tag = "admins",
    params(("id" = String, Path, description = "The duplicate's id")),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "Merged: the conversation merged into", body = ConversationView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn merge_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<MergeRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.merge_conversation(&caller, &id, request).await?))
}

/// Messages including internal notes.
#[utoipa::path(
    get,
    path = "/v1/admin/conversations/{id}/messages",
    operation_id = "adminListMessages",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id"), MessagesQuery),
    responses(
        (status = 200, description = "A page", body = Page<Message>),
        (status = 404, response = NotFound),
    )
)]
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

#[utoipa::path(
    post,
    path = "/v1/admin/conversations/{id}/replies",
    operation_id = "reply",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id"), IdempotencyHeader),
    request_body = ReplyRequest,
    responses(
        (status = 201, description = "Created", body = Message),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
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

/// Mark read up to a message for the admin side.
#[utoipa::path(
    post,
    path = "/v1/admin/conversations/{id}/read",
    operation_id = "adminMarkRead",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = ReadRequest,
    responses(
        (status = 204, description = "Marked"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
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

/// The conversation's SLA clocks and their timeline: started, paused, resumed, warned, breached, escalated, met.
#[utoipa::path(
    get,
    path = "/v1/admin/conversations/{id}/sla",
    operation_id = "adminSlaTimeline",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The SLA timeline", body = SlaTimeline),
        (status = 404, response = NotFound),
    )
)]
async fn sla_timeline(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.sla_timeline(&caller, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TemplateQuery {
    #[param(inline)]
    team: Option<Team>,
    #[param(inline)]
    category: Option<Category>,
}

/// Templates for a team (its own and every team's) and category, by name.
#[utoipa::path(
    get,
    path = "/v1/admin/templates",
    operation_id = "listTemplates",
    tag = "admins",
    params(TemplateQuery),
    responses(
        (status = 200, description = "The templates", body = Page<Template>),
    )
)]
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

/// Create a template (unknown placeholders are refused).
#[utoipa::path(
    post,
    path = "/v1/admin/templates",
    operation_id = "createTemplate",
    tag = "admins",
    params(IdempotencyHeader),
    request_body = TemplateRequest,
    responses(
        (status = 201, description = "Created", body = Template),
        (status = 409, response = Conflict),
    )
)]
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

/// A template.
#[utoipa::path(
    get,
    path = "/v1/admin/templates/{id}",
    operation_id = "getTemplate",
    tag = "admins",
    params(("id" = String, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = Template),
        (status = 404, response = NotFound),
    )
)]
async fn get_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_template(&caller, &id).await?))
}

/// Replace a template's name, team, category and body (its author, a senior or a manager).
#[utoipa::path(
    put,
    path = "/v1/admin/templates/{id}",
    operation_id = "updateTemplate",
    tag = "admins",
    params(("id" = String, Path, description = "Template id")),
    request_body = TemplateRequest,
    responses(
        (status = 200, description = "Updated", body = Template),
        (status = 404, response = NotFound),
    )
)]
async fn update_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TemplateRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.update_template(&caller, &id, request).await?))
}

/// Delete a template (its author, a senior or a manager).
#[utoipa::path(
    delete,
    path = "/v1/admin/templates/{id}",
    operation_id = "deleteTemplate",
    tag = "admins",
    params(("id" = String, Path, description = "Template id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
    )
)]
async fn delete_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.delete_template(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    #[serde(default)]
    #[schema(value_type = Option<common::messaging::VariablesSchema>)]
    variables: Option<Variables>,
    /// Fill it as a reply in this conversation would be (one the caller works); sample
    /// data without it.
    #[serde(default)]
    conversation_id: Option<String>,
}

/// The template filled as a reply in a conversation would be, or with sample data, and
/// the given variables.
#[utoipa::path(
    post,
    path = "/v1/admin/templates/{id}/preview",
    operation_id = "previewTemplate",
    tag = "admins",
    params(("id" = String, Path, description = "Template id")),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The filled text", body = common::messaging::Preview),
        (status = 404, response = NotFound),
    )
)]
async fn preview_template(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<PreviewRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(
        app.preview_template(
            &caller,
            &id,
            request.variables.as_ref(),
            request.conversation_id.as_deref(),
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AgentsQuery {
    #[param(inline)]
    team: Option<Team>,
}

/// The admin directory (created from each admin's token on their first queue call).
#[utoipa::path(
    get,
    path = "/v1/admin/agents",
    operation_id = "listAgents",
    tag = "admins",
    params(AgentsQuery),
    responses(
        (status = 200, description = "The admins", body = Page<AgentProfile>),
    )
)]
async fn list_agents(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<AgentsQuery>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.list_agents(&caller, query.team).await?))
}

/// Set an admin's capacity, working hours or away flag (managers; an admin may set their own away flag).
#[utoipa::path(
    patch,
    path = "/v1/admin/agents/{id}",
    operation_id = "updateAgent",
    tag = "admins",
    params(("id" = String, Path, description = "Admin id")),
    request_body = AgentChanges,
    responses(
        (status = 200, description = "Updated", body = AgentProfile),
        (status = 404, response = NotFound),
    )
)]
async fn update_agent(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(changes): JsonBody<AgentChanges>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.update_agent(&caller, &id, changes).await?))
}

/// Registered endpoints (without secrets; managers).
#[utoipa::path(
    get,
    path = "/v1/admin/webhooks",
    operation_id = "listWebhooks",
    tag = "admins",
    responses(
        (status = 200, description = "The endpoints", body = Page<WebhookView>),
    )
)]
async fn list_webhooks(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.list_webhooks(&caller).await?))
}

/// Register an endpoint for events (managers); the answer carries its secret, once.
#[utoipa::path(
    post,
    path = "/v1/admin/webhooks",
    operation_id = "createWebhook",
    tag = "admins",
    params(IdempotencyHeader),
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "Created", body = WebhookView),
        (status = 409, response = Conflict),
    )
)]
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

/// Remove an endpoint (managers).
#[utoipa::path(
    delete,
    path = "/v1/admin/webhooks/{id}",
    operation_id = "deleteWebhook",
    tag = "admins",
    params(("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
    )
)]
async fn delete_webhook(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.delete_webhook(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest 50 deliveries, by what they are about, newest first (managers).
#[utoipa::path(
    get,
    path = "/v1/admin/webhooks/{id}/deliveries",
    operation_id = "webhookDeliveries",
    tag = "admins",
    params(("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The delivery log", body = Page<Delivery>),
        (status = 404, response = NotFound),
    )
)]
async fn webhook_deliveries(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.webhook_deliveries(&caller, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Broadcasts, newest first, with their progress (seniors and managers).
#[utoipa::path(
    get,
    path = "/v1/admin/broadcasts",
    operation_id = "listBroadcasts",
    tag = "admins",
    params(PageQuery),
    responses(
        (status = 200, description = "The broadcasts", body = Page<BroadcastView>),
    )
)]
async fn list_broadcasts(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<PageQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.list_broadcasts(&caller, page).await?))
}

/// Send a message to a segment of users (seniors and managers). Stored and answered at once; the fan-out runs in the background, each recipient getting a conversation from SayPro Support they can reply to.
#[utoipa::path(
    post,
    path = "/v1/admin/broadcasts",
    operation_id = "createBroadcast",
    tag = "admins",
    params(IdempotencyHeader),
    request_body = BroadcastRequest,
    responses(
        (status = 202, description = "Queued", body = BroadcastView),
        (status = 409, response = Conflict),
    )
)]
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

/// How many recipients a broadcast to a segment would reach if sent now (seniors and managers). Counted up to 10,000; past that `capped` is true and counting stops, so a huge registry is not read through on a click.
#[utoipa::path(
    post,
    path = "/v1/admin/broadcasts/reach",
    operation_id = "broadcastReach",
    tag = "admins",
    request_body = ReachRequest,
    responses(
        (status = 200, description = "The segment's reach", body = Reach),
    )
)]
async fn broadcast_reach(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<ReachRequest>,
) -> HttpResult<Json<Reach>> {
    Ok(Json(app.broadcast_reach(&caller, request).await?))
}

/// A broadcast and its progress (seniors and managers).
#[utoipa::path(
    get,
    path = "/v1/admin/broadcasts/{id}",
    operation_id = "getBroadcast",
    tag = "admins",
    params(("id" = String, Path, description = "Broadcast id")),
    responses(
        (status = 200, description = "The broadcast", body = BroadcastView),
        (status = 404, response = NotFound),
    )
)]
async fn get_broadcast(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_broadcast(&caller, &id).await?))
}

/// Stop a queued or sending broadcast where it is; recipients already reached keep it (seniors and managers).
#[utoipa::path(
    post,
    path = "/v1/admin/broadcasts/{id}/cancel",
    operation_id = "cancelBroadcast",
    tag = "admins",
    params(("id" = String, Path, description = "Broadcast id")),
    responses(
        (status = 200, description = "Cancelled (or already cancelled)", body = BroadcastView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn cancel_broadcast(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.cancel_broadcast(&caller, &id).await?))
}

/// Messages the abuse filter holds, oldest first (moderators and managers).
#[utoipa::path(
    get,
    path = "/v1/admin/moderation/held",
    operation_id = "listHeld",
    tag = "admins",
    params(PageQuery),
    responses(
        (status = 200, description = "The queue", body = Page<Held>),
    )
)]
async fn held_messages(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<PageQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.held_messages(&caller, page).await?))
}

/// Send a held message as its author, once (moderators and managers).
#[utoipa::path(
    post,
    path = "/v1/admin/moderation/held/{id}/release",
    operation_id = "releaseHeld",
    tag = "admins",
    params(("id" = String, Path, description = "Held message id")),
    responses(
        (status = 200, description = "Decided", body = Held),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn release_held(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.release_held(&caller, &id).await?))
}

/// Drop a held message (moderators and managers).
#[utoipa::path(
    post,
    path = "/v1/admin/moderation/held/{id}/reject",
    operation_id = "rejectHeld",
    tag = "admins",
    params(("id" = String, Path, description = "Held message id")),
    responses(
        (status = 200, description = "Decided", body = Held),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn reject_held(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.reject_held(&caller, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// `YYYY-MM`; this month if absent.
    month: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The append-only audit log of moderator actions, one month at a time, oldest first (moderators and managers).
#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    operation_id = "auditLog",
    tag = "admins",
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries", body = Page<AuditEntry>),
    )
)]
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

/// Block a user from sending messages; their messages are refused with a 403 that says so (moderators and managers; audited).
#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/block",
    operation_id = "blockUser",
    tag = "admins",
    params(("id" = String, Path, description = "User id")),
    request_body = BlockRequest,
    responses(
        (status = 200, description = "Blocked", body = Block),
    )
)]
async fn block_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<BlockRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.block_user(&caller, &id, request).await?))
}

/// Lift a block (moderators and managers; audited).
#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/unblock",
    operation_id = "unblockUser",
    tag = "admins",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 404, response = NotFound),
    )
)]
async fn unblock_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.unblock_user(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open reports, soonest due first (moderators and managers).
#[utoipa::path(
    get,
    path = "/v1/admin/moderation/reports",
    operation_id = "listReports",
    tag = "admins",
    params(PageQuery),
    responses(
        (status = 200, description = "The queue", body = Page<Report>),
    )
)]
async fn reports(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<PageQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.reports(&caller, page).await?))
}

/// A report with its conversation and latest messages (the read is audited).
#[utoipa::path(
    get,
    path = "/v1/admin/moderation/reports/{id}",
    operation_id = "getReport",
    tag = "admins",
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report in context", body = ReportInContext),
        (status = 404, response = NotFound),
    )
)]
async fn report_in_context(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.report_in_context(&caller, &id).await?))
}

/// Close a report: dismissed, the message hidden, its author blocked, or (a buyer–seller thread) flagged to support as a complaint from the reporter with the listing (audited).
#[utoipa::path(
    post,
    path = "/v1/admin/moderation/reports/{id}/close",
    operation_id = "closeReport",
    tag = "admins",
    params(("id" = String, Path, description = "Report id")),
    request_body = CloseReport,
    responses(
        (status = 200, description = "Closed", body = Report),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn close_report(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<CloseReport>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.close_report(&caller, &id, request).await?))
}

/// Warn a user: a conversation from SayPro Support in their inbox they can answer (moderators and managers; audited).
#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/warn",
    operation_id = "warnUser",
    tag = "admins",
    params(("id" = String, Path, description = "User id")),
    request_body = WarnRequest,
    responses(
        (status = 201, description = "The warning as sent", body = Message),
    )
)]
async fn warn_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<WarnRequest>,
) -> HttpResult<impl IntoResponse> {
    let warning = app.warn_user(&caller, &id, request).await?;
    Ok((StatusCode::CREATED, Json(warning)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ModerateQuery {
    /// Why the moderator reads it: kept in the audit log.
    reason: String,
}

/// `{id}/messages/{message_id}/attachments/{attachment_id}`.
type AttachmentPath = Path<(String, String, String)>;

/// A signed download of a file in a support conversation of your teams.
#[utoipa::path(
    get,
    path = "/v1/admin/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
    operation_id = "adminDownloadAttachment",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id"), ("message_id" = String, Path, description = "Message id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The attachment with a signed download (valid 5 minutes)", body = AttachmentTransfer),
        (status = 404, response = NotFound),
    )
)]
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

/// A signed download of a file in any conversation (moderators and managers); the download and its reason go to the audit log.
#[utoipa::path(
    get,
    path = "/v1/admin/moderation/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
    operation_id = "moderateAttachment",
    tag = "admins",
    params(("id" = String, Path, description = "Conversation id"), ("message_id" = String, Path, description = "Message id"), ("attachment_id" = String, Path, description = "Attachment id"), ModerateQuery),
    responses(
        (status = 200, description = "The attachment with a signed download (valid 5 minutes)", body = AttachmentTransfer),
        (status = 404, response = NotFound),
    )
)]
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

/// Read any conversation, buyer–seller ones included, with its latest 50 messages (moderators and managers); the read and its reason go to the audit log.
#[utoipa::path(
    get,
    path = "/v1/admin/moderation/conversations/{id}",
    operation_id = "moderateConversation",
    tag = "admins",
    params(("id" = String, Path), ModerateQuery),
    responses(
        (status = 200, description = "The conversation", body = ModeratorView),
        (status = 404, response = NotFound),
    )
)]
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
