//! The sample API Gateway events in events/http, one per route, replayed through each
//! function's own router the way lambda_http hands them over on Lambda: identity comes
//! from the JWT authorizer's claims (with `cognito:groups` flattened to `[a b]`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::StatusCode;
use common::domain::clock::ManualClock;
use common::objects::local::LocalObjects;
use common::store::table::embedded::EmbeddedTable;
use common::{App, AppState, IdentitySource};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const SAMPLE_CONVERSATION: &str = "01JSAMPLECONVERSATION00000";
const SAMPLE_MESSAGE: &str = "01JSAMPLEMESSAGE0000000000";
const SAMPLE_NOTIFICATION: &str = "01JSAMPLENOTIFICATION00000";
const SAMPLE_TEMPLATE: &str = "01JSAMPLETEMPLATE000000000";
const SAMPLE_WEBHOOK: &str = "01JSAMPLEWEBHOOK0000000000";
const SAMPLE_BROADCAST: &str = "01JSAMPLEBROADCAST00000000";
const SAMPLE_REPORT: &str = "01JSAMPLEREPORT00000000000";
const SAMPLE_ATTACHMENT: &str = "01JSAMPLEATTACHMENT0000000";
const SAMPLE_FILE_MESSAGE: &str = "01JSAMPLEFILEMESSAGE000000";
const SAMPLE_SURVEY: &str = "01jsamplesurveytoken00000000000000000000000000000000";

fn lambda_app() -> AppState {
    lambda_app_on(Arc::new(EmbeddedTable::in_memory()))
}

fn lambda_app_on(table: Arc<EmbeddedTable>) -> AppState {
    lambda_app_with_files(table).0
}

/// The functions' App as on Lambda (identity from the authorizer), with its files on the
/// local store standing in for S3.
fn lambda_app_with_files(table: Arc<EmbeddedTable>) -> (AppState, Arc<LocalObjects>) {
    let clock = Arc::new(ManualClock::new(tests::tuesday_morning()));
    let files = Arc::new(LocalObjects::in_memory(local::DEFAULT_BASE_URL, b"unused"));
    let realtime = common::connections::Connections {
        table: table.clone(),
        pusher: Arc::new(common::delivery::push::LocalPusher::default()),
        clock: clock.clone(),
    };
    let mut app = App::new(table, clock, IdentitySource::ApiGateway);
    app.objects = Some(files.clone());
    app.sockets = Some(common::messaging::Sockets {
        realtime: Arc::new(realtime),
        url: "wss://ws123.execute-api.af-south-1.amazonaws.com/prod".into(),
    });
    (Arc::new(app), files)
}

/// Does what the website does with a signed upload: PUT the file with its headers (to
/// the dev server's file route, as S3 would take it).
async fn upload(app: &AppState, files: Arc<LocalObjects>, upload: &Value, bytes: &[u8]) {
    let url = upload["url"].as_str().unwrap();
    let mut request = axum::http::Request::put(url.strip_prefix(local::DEFAULT_BASE_URL).unwrap());
    for (name, value) in tests::signed_headers(upload) {
        request = request.header(name, value);
    }
    let request = request.body(Body::from(bytes.to_vec())).unwrap();
    let router = local::routes()
        .into_router(app.clone())
        .layer(axum::Extension(files));
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// Sends one event file to the function that serves its route; returns status and body.
async fn invoke(app: &AppState, name: &str, ids: &[(&str, String)]) -> (StatusCode, Value) {
    let path = format!("{}/../events/http/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let mut event = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (sample, real) in ids {
        event = event.replace(sample, real);
    }
    let request = lambda_http::request::from_str(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let route = request.uri().path().to_string();
    let reporting = [
        "/v1/admin/reports/",
        "/v1/admin/costs/",
        "/v1/admin/dashboard",
    ];
    let router = if route.starts_with("/v1/listings") || route.starts_with("/v1/users") {
        listings::router(app.clone())
    } else if reporting.iter().any(|r| route.starts_with(r)) {
        reports::router(app.clone())
    } else if route.starts_with("/v1/admin") {
        reply::router(app.clone())
    } else {
        send::router(app.clone())
    };
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn every_sample_event_reaches_its_route_with_the_authorizers_identity() {
    let table = Arc::new(EmbeddedTable::in_memory());
    let mut feed = table.subscribe();
    let (app, files) = lambda_app_with_files(table.clone());
    let (code, listing) = invoke(&app, "put-listing", &[]).await;
    assert_eq!(code, StatusCode::OK, "{listing}");
    let (code, synced) = invoke(&app, "put-listings", &[]).await;
    assert_eq!(code, StatusCode::OK, "{synced}");
    let outcomes: Vec<&str> = synced["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["unchanged", "created", "created"],
        "L-1001 as put-listing stored it"
    );
    let (code, created) = invoke(&app, "create-support-conversation", &[]).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["conversation"]["created_by"], "thandi");
    assert_eq!(created["conversation"]["team"], "billing");
    let (_, retried) = invoke(&app, "create-support-conversation", &[]).await;
    assert_eq!(
        retried, created,
        "the event's Idempotency-Key makes a retry harmless"
    );
    let mut ids = vec![
        (
            SAMPLE_CONVERSATION,
            created["conversation"]["id"].as_str().unwrap().to_string(),
        ),
        (
            SAMPLE_MESSAGE,
            created["message"]["id"].as_str().unwrap().to_string(),
        ),
    ];
    let (code, direct) = invoke(&app, "create-direct-conversation", &[]).await;
    assert_eq!(code, StatusCode::CREATED, "{direct}");
    // The proof of payment the user's next message carries.
    let (code, ticket) = invoke(&app, "create-upload", &[]).await;
    assert_eq!(code, StatusCode::CREATED, "{ticket}");
    upload(&app, files, &ticket["upload"], tests::PDF).await;
    ids.push((
        SAMPLE_ATTACHMENT,
        ticket["id"].as_str().unwrap().to_string(),
    ));

    let expected = [
        ("health", StatusCode::OK),
        ("list-conversations", StatusCode::OK),
        ("get-conversation", StatusCode::OK),
        ("list-messages", StatusCode::OK),
        ("mark-read", StatusCode::NO_CONTENT),
        ("admin-queue", StatusCode::OK),
        ("admin-get-conversation", StatusCode::OK),
        ("admin-list-messages", StatusCode::OK),
        ("admin-mark-read", StatusCode::NO_CONTENT),
        ("admin-sla-timeline", StatusCode::OK),
        ("admin-reply", StatusCode::CREATED),
        ("admin-update-conversation", StatusCode::OK),
        ("post-message", StatusCode::CREATED),
        ("admin-get-sla-policy", StatusCode::OK),
        ("admin-put-sla-policy", StatusCode::OK),
        ("admin-list-agents", StatusCode::OK),
        ("admin-update-agent", StatusCode::OK),
        ("admin-get-membership-rules", StatusCode::OK),
        ("admin-get-automation-rules", StatusCode::OK),
        ("admin-put-automation-rules", StatusCode::OK),
        ("admin-get-routing-rules", StatusCode::OK),
        ("admin-put-routing-rules", StatusCode::OK),
        ("admin-get-safety-policy", StatusCode::OK),
        ("admin-list-held", StatusCode::OK),
        ("admin-warn-user", StatusCode::CREATED),
        ("admin-block-user", StatusCode::OK),
        ("admin-unblock-user", StatusCode::NO_CONTENT),
        ("admin-audit-log", StatusCode::OK),
        // No such held message: the route and the moderator's identity are reached.
        ("admin-release-held", StatusCode::NOT_FOUND),
        ("admin-reject-held", StatusCode::NOT_FOUND),
        ("admin-put-safety-policy", StatusCode::OK),
        ("get-preferences", StatusCode::OK),
        ("create-realtime-ticket", StatusCode::CREATED),
        ("export-my-data", StatusCode::OK),
        ("put-preferences", StatusCode::OK),
    ];
    for (name, status) in expected {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, status, "{name}: {body}");
        if name == "post-message" {
            assert_eq!(body["attachments"][0]["filename"], "proof-of-payment.pdf");
            ids.push((
                SAMPLE_FILE_MESSAGE,
                body["id"].as_str().unwrap().to_string(),
            ));
        }
    }
    for name in [
        "download-attachment",
        "admin-download-attachment",
        "admin-moderate-attachment",
    ] {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, StatusCode::OK, "{name}: {body}");
        assert_eq!(body["download"]["method"], "GET", "{name}");
    }
    // The admin's reply notified the user in the app: the notification events act on it.
    let system = local::Local::new(
        table.clone(),
        app.clock.clone(),
        "unused",
        None,
        local::DEFAULT_BASE_URL,
    );
    let records: Vec<_> = std::iter::from_fn(|| feed.try_recv().ok()).collect();
    assert!(system.notifier.process(&records).await.is_empty());
    let (code, listed) = invoke(&app, "list-notifications", &ids).await;
    assert_eq!(code, StatusCode::OK, "{listed}");
    ids.push((
        SAMPLE_NOTIFICATION,
        listed["items"][0]["id"].as_str().unwrap().to_string(),
    ));
    for (name, status) in [
        ("unread-counts", StatusCode::OK),
        ("mark-notification-read", StatusCode::NO_CONTENT),
        ("mark-all-notifications-read", StatusCode::OK),
    ] {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, status, "{name}: {body}");
    }
    let (code, template) = invoke(&app, "admin-create-template", &ids).await;
    assert_eq!(code, StatusCode::CREATED, "{template}");
    let (_, again) = invoke(&app, "admin-create-template", &ids).await;
    assert_eq!(
        again, template,
        "the event's Idempotency-Key makes a retry harmless"
    );
    ids.push((
        SAMPLE_TEMPLATE,
        template["id"].as_str().unwrap().to_string(),
    ));
    for (name, status) in [
        ("admin-list-templates", StatusCode::OK),
        ("admin-get-template", StatusCode::OK),
        ("admin-update-template", StatusCode::OK),
        ("admin-preview-template", StatusCode::OK),
        ("admin-delete-template", StatusCode::NO_CONTENT),
        ("admin-put-membership-rules", StatusCode::OK),
    ] {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, status, "{name}: {body}");
    }
    let (code, webhook) = invoke(&app, "admin-create-webhook", &ids).await;
    assert_eq!(code, StatusCode::CREATED, "{webhook}");
    ids.push((SAMPLE_WEBHOOK, webhook["id"].as_str().unwrap().to_string()));
    for (name, status) in [
        ("admin-list-webhooks", StatusCode::OK),
        ("admin-webhook-deliveries", StatusCode::OK),
        ("admin-delete-webhook", StatusCode::NO_CONTENT),
    ] {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, status, "{name}: {body}");
    }
    let (code, report) = invoke(&app, "report-conversation", &ids).await;
    assert_eq!(code, StatusCode::CREATED, "{report}");
    ids.push((SAMPLE_REPORT, report["id"].as_str().unwrap().to_string()));
    for (name, status) in [
        ("admin-list-reports", StatusCode::OK),
        ("admin-moderate-conversation", StatusCode::OK),
        ("admin-get-report", StatusCode::OK),
        ("admin-close-report", StatusCode::OK),
    ] {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, status, "{name}: {body}");
    }
    let (code, user) = invoke(&app, "put-user", &ids).await;
    assert_eq!(code, StatusCode::OK, "{user}");
    let (code, reach) = invoke(&app, "admin-broadcast-reach", &ids).await;
    assert_eq!(code, StatusCode::OK, "{reach}");
    let (code, broadcast) = invoke(&app, "admin-create-broadcast", &ids).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{broadcast}");
    let (_, again) = invoke(&app, "admin-create-broadcast", &ids).await;
    assert_eq!(
        again, broadcast,
        "the event's Idempotency-Key makes a retry harmless"
    );
    ids.push((
        SAMPLE_BROADCAST,
        broadcast["id"].as_str().unwrap().to_string(),
    ));
    for (name, status) in [
        ("admin-list-broadcasts", StatusCode::OK),
        ("admin-get-broadcast", StatusCode::OK),
        ("admin-cancel-broadcast", StatusCode::OK),
    ] {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, status, "{name}: {body}");
    }
    let (_, conversation) = invoke(&app, "get-conversation", &ids).await;
    assert_eq!(
        conversation["status"], "open",
        "the user's last message reopened it"
    );
    assert_eq!(conversation["assignee"], "agent-bongi");
    let (code, resolved) = invoke(&app, "resolve-conversation", &ids).await;
    assert_eq!(code, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    // Resolving invites the user to the survey; the stream counts everything so far.
    let records: Vec<_> = std::iter::from_fn(|| feed.try_recv().ok()).collect();
    assert!(system.notifier.process(&records).await.is_empty());
    let conversation = &ids[0].1;
    let invited = app
        .table
        .get(&common::store::keys::invited_key(conversation), true)
        .await
        .unwrap()
        .expect("an invitation");
    let token = invited["token"].as_s().unwrap().to_string();
    ids.push((SAMPLE_SURVEY, token));
    for (name, status) in [
        ("get-survey", StatusCode::OK),
        ("rate-conversation", StatusCode::OK),
        ("get-rating", StatusCode::OK),
        ("answer-survey", StatusCode::OK),
        ("get-nps", StatusCode::OK),
        ("answer-nps", StatusCode::CREATED),
        ("admin-monthly-report", StatusCode::OK),
        ("admin-costs", StatusCode::OK),
        ("admin-dashboard", StatusCode::OK),
    ] {
        let (code, body) = invoke(&app, name, &ids).await;
        assert_eq!(code, status, "{name}: {body}");
    }
    // Thandi asked again in a new conversation: the first is merged into it.
    let (code, again) = invoke(
        &app,
        "create-support-conversation",
        &[(
            "0b6c3a8e-website-retry-1",
            "0b6c3a8e-website-retry-2".into(),
        )],
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{again}");
    ids.push((
        "01JSAMPLECONVERSATION00001",
        again["conversation"]["id"].as_str().unwrap().to_string(),
    ));
    let (code, merged) = invoke(&app, "admin-merge-conversation", &ids).await;
    assert_eq!(code, StatusCode::OK, "{merged}");
    assert_eq!(merged["merged_from"], json!([ids[0].1]));
    let (code, erased) = invoke(&app, "erase-my-messages", &ids).await;
    assert_eq!(code, StatusCode::OK, "{erased}");
}

#[tokio::test]
async fn a_request_without_authorizer_claims_is_unauthorized() {
    let app = lambda_app();
    let request = axum::http::Request::get("/v1/conversations")
        .body(Body::empty())
        .unwrap();
    let response = send::router(app).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// One sample event through its function as lambda_http hands it over: the whole answer.
async fn replay(
    app: &AppState,
    name: &str,
    edit: impl FnOnce(String) -> String,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let path = format!("{}/../events/http/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let event = edit(std::fs::read_to_string(&path).unwrap());
    let request = lambda_http::request::from_str(&event).unwrap();
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let response = send::router(app.clone()).oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

#[tokio::test]
async fn the_health_check_needs_no_token_and_answers_api_gateways_request_id() {
    let (code, headers, body) = replay(&lambda_app(), "health", |e| e).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    assert_eq!(headers["x-request-id"], "req-health");
}

#[tokio::test]
async fn on_lambda_the_request_id_is_api_gateways_whatever_the_caller_sends() {
    // A caller's own X-Request-Id is not taken on AWS: API Gateway's id is the one in
    // its access logs.
    let (code, headers, body) = replay(&lambda_app(), "get-conversation", |event| {
        event.replace(
            r#""user-agent""#,
            r#""x-request-id": "callers-own-id", "user-agent""#,
        )
    })
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(headers["x-request-id"], "req-get-conversation");
    assert_eq!(body["error"]["request_id"], "req-get-conversation");
}

#[test]
fn there_is_one_sample_event_per_http_route() {
    let dir = format!("{}/../events/http", env!("CARGO_MANIFEST_DIR"));
    let mut routes: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let event: Value =
                serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap())
                    .unwrap();
            event["routeKey"].as_str().unwrap().to_string()
        })
        .collect();
    routes.sort();
    routes.dedup();
    let served = served_routes();
    assert_eq!(routes, served);
}

/// API Gateway routes only what template.yaml declares: every served route must be there.
#[test]
fn template_yaml_declares_every_http_route() {
    let template =
        std::fs::read_to_string(format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    let mut declared: Vec<String> = template
        .lines()
        .filter_map(|line| {
            line.trim()
                .strip_prefix("Properties: { ApiId: !Ref HttpApi, ")
        })
        .map(|rest| {
            let rest = rest.trim_end_matches('}').trim();
            let rest = rest.split(", Auth:").next().unwrap_or(rest);
            let (method, path) = rest.split_once(", Path: ").unwrap();
            let method = method.trim_start_matches("Method: ");
            format!("{method} {}", path.trim().trim_matches('"'))
        })
        .collect();
    declared.sort();
    let served = served_routes();
    assert_eq!(declared, served);
}

/// `METHOD /path` of every route the HTTP functions serve, sorted.
fn served_routes() -> Vec<String> {
    let mut served: Vec<String> = send::routes()
        .merge(reply::routes())
        .merge(listings::routes())
        .merge(reports::routes())
        .list()
        .iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    served.sort();
    served
}
