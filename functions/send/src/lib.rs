//! `send`: the user routes. Users open conversations with the admin team or a listing's
//! seller, list and read them, write, and mark read; everyone (users and admins) reads
//! their in-app notifications and sets their notification preferences here; users
//! export everything held about them, erase their messages, report conversations or
//! messages to the moderators, and upload and download the files messages carry.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use common::domain::attachment::UploadRequest;
use common::domain::identity::Access;
use common::domain::preferences::Preferences;
use common::domain::survey::Answer;
use common::domain::{ConversationType, Status};
use common::http::{Authenticated, IdempotencyHeader, JsonBody, MessagesQuery, Params, Routes};
use common::messaging::surveys::NpsRequest;
use common::messaging::{
    AttachmentRef, ConversationFilter, NewConversation, NewMessage, NotificationOrder, PageRequest,
    ReadRequest, ReportRequest,
};
use common::{AppState, HttpResult};
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::default()
        .on(
            Method::POST,
            "/v1/conversations",
            Access::Person,
            create_conversation,
        )
        .on(
            Method::GET,
            "/v1/conversations",
            Access::Person,
            list_conversations,
        )
        .on(
            Method::GET,
            "/v1/conversations/{id}",
            Access::Person,
            get_conversation,
        )
        .on(
            Method::GET,
            "/v1/conversations/{id}/messages",
            Access::Person,
            list_messages,
        )
        .on(
            Method::POST,
            "/v1/conversations/{id}/messages",
            Access::Person,
            post_message,
        )
        .on(
            Method::POST,
            "/v1/conversations/{id}/read",
            Access::Person,
            mark_read,
        )
        .on(
            Method::POST,
            "/v1/conversations/{id}/resolve",
            Access::Person,
            resolve_conversation,
        )
        .on(
            Method::POST,
            "/v1/conversations/{id}/reports",
            Access::Person,
            report,
        )
        .on(
            Method::POST,
            "/v1/attachments",
            Access::Person,
            create_upload,
        )
        .on(
            Method::GET,
            "/v1/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
            Access::Person,
            download_attachment,
        )
        .on(
            Method::GET,
            "/v1/notifications",
            Access::Person,
            list_notifications,
        )
        .on(
            Method::POST,
            "/v1/notifications/{id}/read",
            Access::Person,
            mark_notification_read,
        )
        .on(
            Method::POST,
            "/v1/notifications/read-all",
            Access::Person,
            mark_all_notifications_read,
        )
        .on(
            Method::GET,
            "/v1/notifications/unread-counts",
            Access::Person,
            unread_counts,
        )
        .on(Method::GET, "/v1/me/export", Access::Person, export)
        .on(
            Method::DELETE,
            "/v1/me/messages",
            Access::Person,
            erase_messages,
        )
        .on(
            Method::GET,
            "/v1/me/preferences",
            Access::Person,
            get_preferences,
        )
        .on(
            Method::PUT,
            "/v1/me/preferences",
            Access::Person,
            put_preferences,
        )
        .on(
            Method::GET,
            "/v1/conversations/{id}/rating",
            Access::Person,
            get_rating,
        )
        .on(
            Method::POST,
            "/v1/conversations/{id}/rating",
            Access::Person,
            rate,
        )
        .on(Method::GET, "/v1/me/nps", Access::Person, nps_status)
        .on(Method::POST, "/v1/me/nps", Access::User, answer_nps)
        // The emailed survey: the token is the permission (no bearer token).
        .open(Method::GET, "/v1/surveys/{token}", survey)
        .open(Method::POST, "/v1/surveys/{token}", answer_survey)
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    status: Option<Status>,
    #[serde(rename = "type")]
    kind: Option<ConversationType>,
}

async fn list_conversations(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Params(query): Params<ListQuery>,
) -> HttpResult<impl IntoResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = ConversationFilter {
        status: query.status,
        kind: query.kind,
    };
    Ok(Json(app.list_conversations(&caller, filter, page).await?))
}

async fn get_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.get_conversation(&caller, &id).await?))
}

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

/// A signed upload for one file; the message that carries it names its id.
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

async fn download_attachment(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(path): Path<(String, String, String)>,
) -> HttpResult<impl IntoResponse> {
    let at = AttachmentRef::from(&path);
    Ok(Json(app.download_attachment(&caller, at).await?))
}

async fn mark_read(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ReadRequest>,
) -> HttpResult<StatusCode> {
    app.mark_read(&caller, &id, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user confirms their question is answered (after an automatic answer, say).
async fn resolve_conversation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.resolve_conversation(&caller, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotificationsQuery {
    limit: Option<u32>,
    cursor: Option<String>,
    #[serde(default)]
    order: NotificationOrder,
}

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

async fn mark_notification_read(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<StatusCode> {
    app.mark_notification_read(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn mark_all_notifications_read(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    let marked = app.mark_all_notifications_read(&caller).await?;
    Ok(Json(serde_json::json!({ "marked": marked })))
}

async fn unread_counts(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.unread_counts(&caller).await?))
}

async fn get_preferences(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.preferences(&caller).await?))
}

async fn put_preferences(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(preferences): JsonBody<Preferences>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.set_preferences(&caller, preferences).await?))
}

/// Everything held about the caller, as a JSON download.
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

/// A participant reports the conversation or one of its messages to the moderators.
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

/// Erases what the caller wrote, everywhere it is kept.
async fn erase_messages(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.erase_messages(&caller).await?))
}

async fn get_rating(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.conversation_rating(&caller, &id).await?))
}

async fn rate(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    JsonBody(answer): JsonBody<Answer>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.rate_conversation(&caller, &id, answer).await?))
}

async fn nps_status(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.nps_status(&caller).await?))
}

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

async fn survey(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.survey(&token).await?))
}

async fn answer_survey(
    State(app): State<AppState>,
    Path(token): Path<String>,
    JsonBody(answer): JsonBody<Answer>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(app.answer_survey(&token, answer).await?))
}
