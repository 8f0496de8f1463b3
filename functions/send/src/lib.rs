//! `send`: the user routes. Users open conversations with the admin team or a listing's
//! seller, list and read them, write, and mark read; everyone (users and admins) reads
//! their in-app notifications and sets their notification preferences here; users
//! export everything held about them, erase their messages, report conversations or
//! messages to the moderators, and upload and download the files messages carry.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::domain::attachment::UploadRequest;
use common::domain::conversation::ConversationView;
use common::domain::identity::Access;
use common::domain::message::Message;
use common::domain::notice::Notification;
use common::domain::preferences::Preferences;
use common::domain::survey::Answer;
use common::domain::survey::NpsAnswer;
use common::domain::survey::RatingView;
use common::domain::{ConversationType, Status};
use common::http::{
    Authenticated, Conflict, IdempotencyHeader, JsonBody, MessagesQuery, NotFound, Params, Routes,
    TooLarge, TooManyRequests,
};
use common::messaging::AttachmentTransfer;
use common::messaging::CreatedConversation;
use common::messaging::Erased;
use common::messaging::Export;
use common::messaging::HeldNotice;
use common::messaging::Page;
use common::messaging::Report;
use common::messaging::UnreadCounts;
use common::messaging::surveys::{NpsRequest, NpsStatus, Recorded, SurveyView};
use common::messaging::{
    AttachmentRef, ConversationFilter, NewConversation, NewMessage, NotificationOrder, PageRequest,
    ReadRequest, ReportRequest, TicketView,
};
use common::messaging::{SearchHit, SearchPage};
use common::route;
use common::{AppState, HttpResult};
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::default()
        .on(Access::Person, route!(create_conversation))
        .on(Access::Person, route!(list_conversations))
        .on(Access::Person, route!(search))
        .on(Access::Person, route!(get_conversation))
        .on(Access::Person, route!(list_messages))
        .on(Access::Person, route!(post_message))
        .on(Access::Person, route!(mark_read))
        .on(Access::Person, route!(resolve_conversation))
        .on(Access::Person, route!(report))
        .on(Access::Person, route!(create_upload))
        .on(Access::Person, route!(download_attachment))
        .on(Access::Person, route!(list_notifications))
        .on(Access::Person, route!(mark_notification_read))
        .on(Access::Person, route!(mark_all_notifications_read))
        .on(Access::Person, route!(unread_counts))
        .on(Access::Person, route!(realtime_ticket))
        .on(Access::Person, route!(export))
        .on(Access::Person, route!(erase_messages))
        .on(Access::Person, route!(get_preferences))
        .on(Access::Person, route!(put_preferences))
        .on(Access::Person, route!(get_rating))
        .on(Access::Person, route!(rate))
        .on(Access::Person, route!(nps_status))
        .on(Access::User, route!(answer_nps))
        // The emailed survey: the token is the permission (no bearer token).
        .open(route!(survey))
        .open(route!(answer_survey))
        // For a load balancer or an uptime check: no token, and nothing but a status.
        .open(route!(health))
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

/// Start a support conversation with the admin team, or a direct one with a listing's seller.
#[utoipa::path(
    post,
    path = "/v1/conversations",
    operation_id = "createConversation",
    tag = "users",
    params(IdempotencyHeader),
    request_body = NewConversation,
    responses(
        (status = 201, description = "Created (or the first result for a repeated Idempotency-Key)", body = CreatedConversation),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
        (status = 202, description = "Held for a moderator (the abuse filter's verdict); delivered only if released", body = HeldNotice),
    )
)]
async fn create_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<NewConversation>,
) -> HttpResult<impl IntoResponse> {
    let key = key.for_request(&caller, "POST /v1/conversations", &request)?;
    let created = app
        .create_conversation(&caller, request, key.as_ref())
        .await?;
    Ok(common::http::created(created))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    #[param(inline)]
    status: Option<Status>,
    #[serde(rename = "type")]
    #[param(inline)]
    kind: Option<ConversationType>,
    /// Only the caller's conversations about this listing (support and buyer–seller):
    /// the widget resumes the one there is. A page may then hold fewer than `limit`
    /// and still carry a `next_cursor`.
    listing_id: Option<String>,
}

/// The caller's conversations, most recent activity first.
#[utoipa::path(
    get,
    path = "/v1/conversations",
    operation_id = "listConversations",
    tag = "users",
    params(ListQuery),
    responses(
        (status = 200, description = "A page", body = Page<ConversationView>),
    )
)]
async fn list_conversations(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<ListQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = ConversationFilter {
        status: query.status,
        kind: query.kind,
        listing_id: query.listing_id,
    };
    Ok(Json(app.list_conversations(&caller, filter, page).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// What to find: words (all must match, in any order; from three letters they
    /// match as prefixes), `"a phrase"`; case and accents do not matter. At most 200
    /// characters and 10 words.
    #[param(min_length = 1, max_length = 200)]
    q: String,
    /// Results a page, 1 to 50 (20 by default).
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Search the caller's own conversations: the messages they can read, subjects and
/// listing titles. Newest first; a page may hold fewer than `limit` results and still
/// have a `next_cursor`.
#[utoipa::path(
    get,
    path = "/v1/search",
    operation_id = "search",
    tag = "users",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of results", body = Page<SearchHit>),
    )
)]
async fn search(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<SearchQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = SearchPage::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(app.search(&caller, &query.q, page).await?))
}

#[utoipa::path(
    get,
    path = "/v1/conversations/{id}",
    operation_id = "getConversation",
    tag = "users",
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
    Ok(Json(app.get_conversation(&caller, &id).await?))
}

/// Messages, oldest first (internal notes never included).
#[utoipa::path(
    get,
    path = "/v1/conversations/{id}/messages",
    operation_id = "listMessages",
    tag = "users",
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
        app.list_messages(&caller, &id, query.order, page).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/messages",
    operation_id = "postMessage",
    tag = "users",
    params(("id" = String, Path, description = "Conversation id"), IdempotencyHeader),
    request_body = NewMessage,
    responses(
        (status = 201, description = "Created", body = Message),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
        (status = 202, description = "Held for a moderator (the abuse filter's verdict); delivered only if released", body = HeldNotice),
    )
)]
async fn post_message(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<NewMessage>,
) -> HttpResult<impl IntoResponse> {
    let key = key.for_request(
        &caller,
        &format!("POST /v1/conversations/{id}/messages"),
        &request,
    )?;
    let message = app
        .post_message(&caller, &id, request, key.as_ref())
        .await?;
    Ok(common::http::created(message))
}

/// A signed upload for one file (common images or PDF, within the size cap). PUT the bytes to `upload.url` with `upload.headers`, then name the returned id in a message's `attachments` within a day.
#[utoipa::path(
    post,
    path = "/v1/attachments",
    operation_id = "createUpload",
    tag = "users",
    request_body = UploadRequest,
    responses(
        (status = 201, description = "The upload to make", body = AttachmentTransfer),
    )
)]
async fn create_upload(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<UploadRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(app.create_upload(&caller, request).await?),
    ))
}

/// A signed download of a file in a conversation of yours (not of a message a moderator hid).
#[utoipa::path(
    get,
    path = "/v1/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
    operation_id = "downloadAttachment",
    tag = "users",
    params(("id" = String, Path, description = "Conversation id"), ("message_id" = String, Path, description = "Message id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The attachment with a signed download (valid 5 minutes)", body = AttachmentTransfer),
        (status = 404, response = NotFound),
    )
)]
async fn download_attachment(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(path): Path<(String, String, String)>,
) -> HttpResult<impl IntoResponse> {
    let at = AttachmentRef::from(&path);
    Ok(Json(app.download_attachment(&caller, at).await?))
}

/// Mark read up to a message.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/read",
    operation_id = "markRead",
    tag = "users",
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
    app.mark_read(&caller, &id, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user confirms their support question is answered: resolved.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/resolve",
    operation_id = "resolveConversation",
    tag = "users",
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "Resolved", body = ConversationView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn resolve_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.resolve_conversation(&caller, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct NotificationsQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    #[serde(default)]
    #[param(inline)]
    order: NotificationOrder,
}

/// In-app notifications (users and admins), newest first or unread first.
#[utoipa::path(
    get,
    path = "/v1/notifications",
    operation_id = "listNotifications",
    tag = "users",
    params(NotificationsQuery),
    responses(
        (status = 200, description = "A page", body = Page<Notification>),
    )
)]
async fn list_notifications(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<NotificationsQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    Ok(Json(
        app.list_notifications(&caller, query.order, page).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/v1/notifications/{id}/read",
    operation_id = "markNotificationRead",
    tag = "users",
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Marked read"),
        (status = 404, response = NotFound),
    )
)]
async fn mark_notification_read(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.mark_notification_read(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks up to 100 unread notifications read; call again while marked is 100.
#[utoipa::path(
    post,
    path = "/v1/notifications/read-all",
    operation_id = "markAllNotificationsRead",
    tag = "users",
    responses(
        (status = 200, description = "How many were marked", body = Marked),
    )
)]
async fn mark_all_notifications_read(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    let marked = app.mark_all_notifications_read(&caller).await?;
    Ok(Json(Marked { marked }))
}

/// A one-time ticket for the real-time socket: open `url` (the ticket is in it) within 60 seconds.
#[utoipa::path(
    post,
    path = "/v1/realtime/tickets",
    operation_id = "createRealtimeTicket",
    tag = "users",
    responses(
        (status = 201, description = "The ticket, and the socket's URL with it", body = TicketView),
    )
)]
async fn realtime_ticket(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(app.open_ticket(&caller).await?)))
}

/// How many notifications were marked read.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Marked {
    marked: usize,
}

/// Unread notifications in total and per conversation.
#[utoipa::path(
    get,
    path = "/v1/notifications/unread-counts",
    operation_id = "unreadCounts",
    tag = "users",
    responses(
        (status = 200, description = "The counts", body = UnreadCounts),
    )
)]
async fn unread_counts(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.unread_counts(&caller).await?))
}

/// Notification preferences (defaults until saved).
#[utoipa::path(
    get,
    path = "/v1/me/preferences",
    operation_id = "getPreferences",
    tag = "users",
    responses(
        (status = 200, description = "The preferences", body = Preferences),
    )
)]
async fn get_preferences(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.preferences(&caller).await?))
}

#[utoipa::path(
    put,
    path = "/v1/me/preferences",
    operation_id = "putPreferences",
    tag = "users",
    request_body = Preferences,
    responses(
        (status = 200, description = "Saved", body = Preferences),
    )
)]
async fn put_preferences(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(preferences): JsonBody<Preferences>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.set_preferences(&caller, preferences).await?))
}

/// Everything SayPro messaging holds about the caller (POPIA/GDPR access request), as a JSON download.
#[utoipa::path(
    get,
    path = "/v1/me/export",
    operation_id = "exportMyData",
    tag = "users",
    responses(
        (status = 200, description = "The export", body = Export),
        (status = 413, response = TooLarge),
    )
)]
async fn export(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    let export = app.export(&caller).await?;
    let safe: String = export
        .user_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let disposition = format!("attachment; filename=\"saypro-messages-{safe}.json\"");
    Ok((
        [(axum::http::header::CONTENT_DISPOSITION, disposition)],
        Json(export),
    ))
}

/// Report the conversation, or one of its messages, to the moderators (participants).
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/reports",
    operation_id = "reportConversation",
    tag = "users",
    params(("id" = String, Path, description = "Conversation id"), IdempotencyHeader),
    request_body = ReportRequest,
    responses(
        (status = 201, description = "Reported", body = Report),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn report(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    key: IdempotencyHeader,
    JsonBody(request): JsonBody<ReportRequest>,
) -> HttpResult<impl IntoResponse> {
    let key = key.for_request(
        &caller,
        &format!("POST /v1/conversations/{id}/reports"),
        &request,
    )?;
    let report = app.report(&caller, &id, request, key.as_ref()).await?;
    Ok(common::http::created(report))
}

/// Erase every message the caller wrote (POPIA/GDPR): bodies, links, every file they uploaded, the previews in others' notifications, their contact details and the subjects they wrote; the other party sees "This message was deleted by its author."; who wrote when stays for reports.
#[utoipa::path(
    delete,
    path = "/v1/me/messages",
    operation_id = "eraseMyMessages",
    tag = "users",
    responses(
        (status = 200, description = "Erased", body = Erased),
        (status = 413, response = TooLarge),
    )
)]
async fn erase_messages(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.erase_messages(&caller).await?))
}

/// The user's rating of their resolved support conversation.
#[utoipa::path(
    get,
    path = "/v1/conversations/{id}/rating",
    operation_id = "getRating",
    tag = "users",
    params(("id" = String, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The rating", body = RatingView),
        (status = 404, response = NotFound),
    )
)]
async fn get_rating(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.conversation_rating(&caller, &id).await?))
}

/// Rate a resolved support conversation (1–5 stars); the same call changes it within 7 days.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/rating",
    operation_id = "rateConversation",
    tag = "users",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = Answer,
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn rate(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(answer): JsonBody<Answer>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.rate_conversation(&caller, &id, answer).await?))
}

/// Whether the quarter's Net Promoter question is due.
#[utoipa::path(
    get,
    path = "/v1/me/nps",
    operation_id = "getNps",
    tag = "users",
    responses(
        (status = 200, description = "The quarter's status", body = NpsStatus),
    )
)]
async fn nps_status(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.nps_status(&caller).await?))
}

/// Answer the Net Promoter question (0–10), once a quarter.
#[utoipa::path(
    post,
    path = "/v1/me/nps",
    operation_id = "answerNps",
    tag = "users",
    request_body = NpsRequest,
    responses(
        (status = 201, description = "Recorded", body = NpsAnswer),
        (status = 409, response = Conflict),
    )
)]
async fn answer_nps(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<NpsRequest>,
) -> HttpResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(app.answer_nps(&caller, request).await?),
    ))
}

/// What an emailed survey is about; records nothing (link scanners follow links).
#[utoipa::path(
    get,
    path = "/v1/surveys/{token}",
    operation_id = "getSurvey",
    tag = "users",
    params(("token" = String, Path, description = "The emailed survey link's token")),
    responses(
        (status = 200, description = "The survey", body = SurveyView),
        (status = 404, response = NotFound),
    )
)]
async fn survey(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.survey(&token).await?))
}

/// Answer an emailed survey: the rating and, if still due, the quarter's NPS.
#[utoipa::path(
    post,
    path = "/v1/surveys/{token}",
    operation_id = "answerSurvey",
    tag = "users",
    params(("token" = String, Path, description = "The emailed survey link's token")),
    request_body = Answer,
    responses(
        (status = 200, description = "Recorded", body = Recorded),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn answer_survey(
    State(app): State<AppState>,
    Path(token): Path<String>,
    JsonBody(answer): JsonBody<Answer>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.answer_survey(&token, answer).await?))
}

/// Whether the API can do its work.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    status: HealthStatus,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum HealthStatus {
    Ok,
    Unavailable,
}

/// Health, for a load balancer or an uptime check: whether this function reaches its
/// table (one cheap read, with a short timeout). Nothing else is told: no versions,
/// names or error details.
#[utoipa::path(
    get,
    path = "/v1/health",
    operation_id = "health",
    tag = "operations",
    responses(
        (status = 200, description = "The API can reach its table", body = Health,
            example = json!({"status": "ok"})),
        (status = 503, description = "It cannot; Retry-After says when to ask again", body = Health,
            headers(("Retry-After" = u64, description = "Seconds to wait")),
            example = json!({"status": "unavailable"})),
    )
)]
async fn health(State(app): State<AppState>) -> axum::response::Response {
    match app.check_health().await {
        Ok(()) => Json(Health {
            status: HealthStatus::Ok,
        })
        .into_response(),
        Err(error) => {
            tracing::warn!(
                error = common::domain::redact::redact(&format!("{error:#}")),
                "health check failed"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(
                    axum::http::header::RETRY_AFTER,
                    common::http::UNAVAILABLE_RETRY_AFTER_SECONDS.to_string(),
                )],
                Json(Health {
                    status: HealthStatus::Unavailable,
                }),
            )
                .into_response()
        }
    }
}
