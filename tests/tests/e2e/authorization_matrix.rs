//! The authorization matrix: every route of the project, for every role, against the
//! objects of someone else, with the status each role must get. A route the matrix
//! does not classify fails the test, so a new route cannot slip through unchecked.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestApp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    /// Alice: her support conversation (team support) and her direct one with Bob.
    Owner,
    OtherUser,
    /// An agent of the billing team: not the support team's.
    OtherTeamAgent,
    TeamAgent,
    Senior,
    Manager,
    Moderator,
    Finance,
    Service,
}

const ROLES: [Role; 10] = [
    Role::Anonymous,
    Role::Owner,
    Role::OtherUser,
    Role::OtherTeamAgent,
    Role::TeamAgent,
    Role::Senior,
    Role::Manager,
    Role::Moderator,
    Role::Finance,
    Role::Service,
];

/// Who a route is for.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// A participant of Alice's conversation (support or direct).
    Participant,
    /// Any person, about their own things.
    Person,
    /// The admins who work Alice's support conversation's team.
    AdminOnSupport,
    /// Admins: never on a buyer–seller conversation.
    AdminOnDirect,
    Admin,
    /// Admins; only the author, seniors and managers change a template (Max wrote it).
    TemplateEditor,
    /// Admins; only managers change another admin's profile (Zoe's here).
    ProfileEditor,
    Manager,
    Broadcaster,
    Moderator,
    Service,
    /// Users (people who are not admins), about their own things.
    User,
    /// Seniors and managers.
    Supervisor,
    /// Finance and managers.
    FinanceOrManager,
    /// Admins and moderators (search).
    AdminOrModerator,
    /// Anyone signed in (a listing's public details).
    SignedIn,
    /// Anyone holding the link (the emailed survey): no bearer token needed, and a link
    /// that does not exist is a 404 for everyone.
    Link,
    /// Anyone at all, with a token or without (the health check): a 200 for everyone.
    Anyone,
}

/// What a role gets: let through (any status but 401, 403, and for objects 404), or
/// exactly this status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Status(StatusCode),
}

fn expected(access: Access, role: Role) -> Expect {
    use Expect::*;
    use Role::*;
    let (forbidden, hidden) = (Status(StatusCode::FORBIDDEN), Status(StatusCode::NOT_FOUND));
    match access {
        Access::Link => return hidden,
        Access::Anyone => return Status(StatusCode::OK),
        _ => {}
    }
    if role == Anonymous {
        return Status(StatusCode::UNAUTHORIZED);
    }
    let admin = matches!(role, OtherTeamAgent | TeamAgent | Senior | Manager);
    match access {
        Access::Participant => match role {
            Owner => Allowed,
            Service => forbidden,
            _ => hidden,
        },
        Access::Person => match role {
            Service => forbidden,
            _ => Allowed,
        },
        Access::AdminOnSupport => match role {
            TeamAgent | Senior | Manager => Allowed,
            OtherTeamAgent => hidden,
            _ => forbidden,
        },
        Access::AdminOnDirect => match admin {
            true => hidden,
            false => forbidden,
        },
        Access::Admin => match admin {
            true => Allowed,
            false => forbidden,
        },
        Access::TemplateEditor => match role {
            Senior | Manager => Allowed,
            _ => forbidden,
        },
        Access::Manager | Access::ProfileEditor => match role {
            Manager => Allowed,
            _ => forbidden,
        },
        Access::Broadcaster => match role {
            Senior | Manager => Allowed,
            _ => forbidden,
        },
        Access::Moderator => match role {
            Moderator | Manager => Allowed,
            _ => forbidden,
        },
        Access::Service => match role {
            Service => Allowed,
            _ => forbidden,
        },
        Access::User => match admin || role == Service {
            true => forbidden,
            false => Allowed,
        },
        Access::Supervisor => match role {
            Senior | Manager => Allowed,
            _ => forbidden,
        },
        Access::FinanceOrManager => match role {
            Finance | Manager => Allowed,
            _ => forbidden,
        },
        Access::SignedIn => Allowed,
        Access::AdminOrModerator => match admin || role == Moderator {
            true => Allowed,
            false => forbidden,
        },
        Access::Link => hidden,
        Access::Anyone => Status(StatusCode::OK),
    }
}

/// Alice's things, and the objects admins made, for one role's run.
struct World {
    app: TestApp,
    support: String,
    /// Alice's second support conversation (team support), to merge the first into.
    duplicate: String,
    direct: String,
    message: String,
    template: String,
    webhook: String,
    broadcast: String,
    report: String,
    sla_policy: Value,
    /// `{message}/attachments/{attachment}` of a file Alice sent in each conversation.
    support_file: String,
    direct_file: String,
}

/// Alice sends a photo in a conversation: the message's path to it.
async fn send_file(app: &TestApp, token: &str, conversation: &str) -> String {
    let file = app
        .upload(token, "photo.png", "image/png", tests::PNG)
        .await;
    let (code, message) = app
        .post(
            &format!("/v1/conversations/{conversation}/messages"),
            token,
            json!({"body": "a photo", "attachments": [file]}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{message}");
    format!("{}/attachments/{file}", message["id"].as_str().unwrap())
}

async fn world() -> World {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let max = app.token("max", &["manager"]);
    app.listing("L1", "bob", "active").await;
    let support = app.support(&alice, "general", "private question").await;
    let direct = app.direct(&alice, "L1", "hi").await;
    let duplicate = app
        .support(&alice, "general", "the same question again")
        .await;
    let (_, messages) = app
        .get(&format!("/v1/conversations/{support}/messages"), &alice)
        .await;
    let message = messages["items"][0]["id"].as_str().unwrap().to_string();
    let id = |value: &Value| value["id"].as_str().unwrap().to_string();
    let (_, template) = app
        .post(
            "/v1/admin/templates",
            &max,
            json!({"name": "t", "body": "Thanks"}),
        )
        .await;
    let (_, webhook) = app
        .post(
            "/v1/admin/webhooks",
            &max,
            json!({"url": "https://crm.example.com/hook", "events": ["message.created"]}),
        )
        .await;
    let (_, broadcast) = app
        .post(
            "/v1/admin/broadcasts",
            &max,
            json!({"subject": "s", "body": "b", "segment": {"kind": "users", "user_ids": ["alice"]}}),
        )
        .await;
    let (_, report) = app
        .post(
            &format!("/v1/conversations/{direct}/reports"),
            &alice,
            json!({"reason": "spam"}),
        )
        .await;
    let (_, sla_policy) = app.get("/v1/admin/sla-policy", &max).await;
    let support_file = send_file(&app, &alice, &support).await;
    let direct_file = send_file(&app, &alice, &direct).await;
    // Alice resolved and rated her support conversation.
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{support}/resolve"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, rated) = app
        .post(
            &format!("/v1/conversations/{support}/rating"),
            &alice,
            json!({"stars": 4}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{rated}");
    World {
        support_file,
        direct_file,
        sla_policy,
        template: id(&template),
        webhook: id(&webhook),
        broadcast: id(&broadcast),
        report: id(&report),
        app,
        support,
        duplicate,
        direct,
        message,
    }
}

fn token(app: &TestApp, role: Role) -> Option<String> {
    let (sub, groups): (&str, &[&str]) = match role {
        Role::Anonymous => return None,
        Role::Owner => ("alice", &[]),
        Role::OtherUser => ("eve", &[]),
        Role::OtherTeamAgent => ("bongi", &["agent", "team-billing"]),
        Role::TeamAgent => ("sam", &["agent", "team-support"]),
        Role::Senior => ("sue", &["senior"]),
        Role::Manager => ("max", &["manager"]),
        Role::Moderator => ("mpho", &["moderator"]),
        Role::Finance => ("fiona", &["finance"]),
        Role::Service => ("website", &["service"]),
    };
    Some(app.token(sub, groups))
}

/// Every route: its template (as served), the concrete request, and who it is for.
fn routes(w: &World) -> Vec<(Method, &'static str, String, Option<Value>, Access)> {
    let (s, d, m) = (&w.support, &w.direct, &w.message);
    let policy = |name: &str| match name {
        "safety" => {
            json!({"version": 0, "policy": common::domain::safety::SafetyPolicy::default()})
        }
        _ => json!({"version": 0, "policy": {"rules": []}}),
    };
    use Access::*;
    use Method as M;
    vec![
        (
            M::POST,
            "/v1/conversations",
            "/v1/conversations".into(),
            Some(json!({"type": "support", "category": "general", "subject": "s", "body": "b"})),
            Person,
        ),
        (
            M::GET,
            "/v1/conversations",
            "/v1/conversations".into(),
            None,
            Person,
        ),
        (
            M::GET,
            "/v1/conversations/{id}",
            format!("/v1/conversations/{s}"),
            None,
            Participant,
        ),
        (
            M::GET,
            "/v1/search",
            "/v1/search?q=private".into(),
            None,
            Person,
        ),
        (
            M::GET,
            "/v1/listings/{id}",
            "/v1/listings/L1".into(),
            None,
            SignedIn,
        ),
        (
            M::GET,
            "/v1/admin/search",
            "/v1/admin/search?q=private".into(),
            None,
            AdminOrModerator,
        ),
        (
            M::GET,
            "/v1/admin/users/{id}/conversations",
            "/v1/admin/users/alice/conversations".into(),
            None,
            Admin,
        ),
        (
            M::GET,
            "/v1/conversations/{id}/messages",
            format!("/v1/conversations/{d}/messages"),
            None,
            Participant,
        ),
        (
            M::POST,
            "/v1/conversations/{id}/messages",
            format!("/v1/conversations/{s}/messages"),
            Some(json!({"body": "more"})),
            Participant,
        ),
        (
            M::POST,
            "/v1/conversations/{id}/read",
            format!("/v1/conversations/{s}/read"),
            Some(json!({"message_id": m})),
            Participant,
        ),
        (
            M::POST,
            "/v1/conversations/{id}/resolve",
            format!("/v1/conversations/{s}/resolve"),
            None,
            Participant,
        ),
        (
            M::POST,
            "/v1/conversations/{id}/reports",
            format!("/v1/conversations/{d}/reports"),
            Some(json!({"reason": "spam"})),
            Participant,
        ),
        (
            M::POST,
            "/v1/attachments",
            "/v1/attachments".into(),
            Some(json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10})),
            Person,
        ),
        (
            M::GET,
            "/v1/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
            format!("/v1/conversations/{d}/messages/{}", w.direct_file),
            None,
            Participant,
        ),
        (
            M::GET,
            "/v1/admin/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
            format!("/v1/admin/conversations/{s}/messages/{}", w.support_file),
            None,
            AdminOnSupport,
        ),
        (
            M::GET,
            "/v1/admin/moderation/conversations/{id}/messages/{message_id}/attachments/{attachment_id}",
            format!(
                "/v1/admin/moderation/conversations/{d}/messages/{}?reason=report",
                w.direct_file
            ),
            None,
            Moderator,
        ),
        (
            M::GET,
            "/v1/notifications",
            "/v1/notifications".into(),
            None,
            Person,
        ),
        (
            M::GET,
            "/v1/notifications/unread-counts",
            "/v1/notifications/unread-counts".into(),
            None,
            Person,
        ),
        (
            M::POST,
            "/v1/realtime/tickets",
            "/v1/realtime/tickets".into(),
            None,
            Person,
        ),
        (
            M::POST,
            "/v1/notifications/{id}/read",
            format!("/v1/notifications/{m}/read"),
            None,
            Person,
        ),
        (
            M::POST,
            "/v1/notifications/read-all",
            "/v1/notifications/read-all".into(),
            None,
            Person,
        ),
        (
            M::GET,
            "/v1/me/preferences",
            "/v1/me/preferences".into(),
            None,
            Person,
        ),
        (
            M::PUT,
            "/v1/me/preferences",
            "/v1/me/preferences".into(),
            Some(json!({"email": true})),
            Person,
        ),
        (
            M::GET,
            "/v1/me/export",
            "/v1/me/export".into(),
            None,
            Person,
        ),
        (
            M::DELETE,
            "/v1/me/messages",
            "/v1/me/messages".into(),
            None,
            Person,
        ),
        (
            M::GET,
            "/v1/admin/conversations",
            "/v1/admin/conversations".into(),
            None,
            Admin,
        ),
        (
            M::GET,
            "/v1/admin/conversations/{id}",
            format!("/v1/admin/conversations/{s}"),
            None,
            AdminOnSupport,
        ),
        (
            M::PATCH,
            "/v1/admin/conversations/{id}",
            format!("/v1/admin/conversations/{s}"),
            Some(json!({"priority": "urgent"})),
            AdminOnSupport,
        ),
        (
            M::PATCH,
            "/v1/admin/conversations/{id}",
            format!("/v1/admin/conversations/{s}"),
            Some(json!({"snoozed_until": null})),
            AdminOnSupport,
        ),
        (
            M::GET,
            "/v1/admin/conversations",
            "/v1/admin/conversations?snoozed=true".into(),
            None,
            Admin,
        ),
        (
            M::POST,
            "/v1/admin/conversations/{id}/merge",
            format!("/v1/admin/conversations/{s}/merge"),
            Some(json!({"into": w.duplicate})),
            AdminOnSupport,
        ),
        (
            M::GET,
            "/v1/admin/conversations/{id}/messages",
            format!("/v1/admin/conversations/{d}/messages"),
            None,
            AdminOnDirect,
        ),
        (
            M::POST,
            "/v1/admin/conversations/{id}/replies",
            format!("/v1/admin/conversations/{s}/replies"),
            Some(json!({"body": "answer"})),
            AdminOnSupport,
        ),
        (
            M::POST,
            "/v1/admin/conversations/{id}/read",
            format!("/v1/admin/conversations/{s}/read"),
            Some(json!({"message_id": m})),
            AdminOnSupport,
        ),
        (
            M::GET,
            "/v1/admin/conversations/{id}/sla",
            format!("/v1/admin/conversations/{s}/sla"),
            None,
            AdminOnSupport,
        ),
        (
            M::GET,
            "/v1/admin/agents",
            "/v1/admin/agents".into(),
            None,
            Admin,
        ),
        (
            M::PATCH,
            "/v1/admin/agents/{id}",
            "/v1/admin/agents/zoe".into(),
            Some(json!({"away": true})),
            ProfileEditor,
        ),
        (
            M::GET,
            "/v1/admin/templates",
            "/v1/admin/templates".into(),
            None,
            Admin,
        ),
        (
            M::POST,
            "/v1/admin/templates",
            "/v1/admin/templates".into(),
            Some(json!({"name": "n", "body": "Thanks"})),
            Admin,
        ),
        (
            M::GET,
            "/v1/admin/templates/{id}",
            format!("/v1/admin/templates/{}", w.template),
            None,
            Admin,
        ),
        (
            M::PUT,
            "/v1/admin/templates/{id}",
            format!("/v1/admin/templates/{}", w.template),
            Some(json!({"name": "n", "body": "Thanks again"})),
            TemplateEditor,
        ),
        (
            M::POST,
            "/v1/admin/templates/{id}/preview",
            format!("/v1/admin/templates/{}/preview", w.template),
            Some(json!({})),
            Admin,
        ),
        (
            M::DELETE,
            "/v1/admin/templates/{id}",
            format!("/v1/admin/templates/{}", w.template),
            None,
            TemplateEditor,
        ),
        (
            M::GET,
            "/v1/admin/routing-rules",
            "/v1/admin/routing-rules".into(),
            None,
            Admin,
        ),
        (
            M::PUT,
            "/v1/admin/routing-rules",
            "/v1/admin/routing-rules".into(),
            Some(policy("rules")),
            Manager,
        ),
        (
            M::GET,
            "/v1/admin/membership-rules",
            "/v1/admin/membership-rules".into(),
            None,
            Admin,
        ),
        (
            M::PUT,
            "/v1/admin/membership-rules",
            "/v1/admin/membership-rules".into(),
            Some(policy("rules")),
            Manager,
        ),
        (
            M::GET,
            "/v1/admin/automation-rules",
            "/v1/admin/automation-rules".into(),
            None,
            Admin,
        ),
        (
            M::PUT,
            "/v1/admin/automation-rules",
            "/v1/admin/automation-rules".into(),
            Some(json!({"version": 0, "policy": {"acknowledge": true}})),
            Manager,
        ),
        (
            M::GET,
            "/v1/admin/sla-policy",
            "/v1/admin/sla-policy".into(),
            None,
            Admin,
        ),
        (
            M::PUT,
            "/v1/admin/sla-policy",
            "/v1/admin/sla-policy".into(),
            Some(w.sla_policy.clone()),
            Manager,
        ),
        (
            M::GET,
            "/v1/admin/webhooks",
            "/v1/admin/webhooks".into(),
            None,
            Manager,
        ),
        (
            M::POST,
            "/v1/admin/webhooks",
            "/v1/admin/webhooks".into(),
            Some(json!({"url": "https://x.example.com", "events": ["message.created"]})),
            Manager,
        ),
        (
            M::GET,
            "/v1/admin/webhooks/{id}/deliveries",
            format!("/v1/admin/webhooks/{}/deliveries", w.webhook),
            None,
            Manager,
        ),
        (
            M::DELETE,
            "/v1/admin/webhooks/{id}",
            format!("/v1/admin/webhooks/{}", w.webhook),
            None,
            Manager,
        ),
        (
            M::GET,
            "/v1/admin/broadcasts",
            "/v1/admin/broadcasts".into(),
            None,
            Broadcaster,
        ),
        (
            M::POST,
            "/v1/admin/broadcasts",
            "/v1/admin/broadcasts".into(),
            Some(json!({"subject": "s", "body": "b", "segment": {"kind": "all"}})),
            Broadcaster,
        ),
        (
            M::POST,
            "/v1/admin/broadcasts/reach",
            "/v1/admin/broadcasts/reach".into(),
            Some(json!({"segment": {"kind": "all"}})),
            Broadcaster,
        ),
        (
            M::GET,
            "/v1/admin/broadcasts/{id}",
            format!("/v1/admin/broadcasts/{}", w.broadcast),
            None,
            Broadcaster,
        ),
        (
            M::POST,
            "/v1/admin/broadcasts/{id}/cancel",
            format!("/v1/admin/broadcasts/{}/cancel", w.broadcast),
            None,
            Broadcaster,
        ),
        (
            M::GET,
            "/v1/admin/safety-policy",
            "/v1/admin/safety-policy".into(),
            None,
            Moderator,
        ),
        (
            M::PUT,
            "/v1/admin/safety-policy",
            "/v1/admin/safety-policy".into(),
            Some(policy("safety")),
            Moderator,
        ),
        (
            M::GET,
            "/v1/admin/moderation/held",
            "/v1/admin/moderation/held".into(),
            None,
            Moderator,
        ),
        (
            M::POST,
            "/v1/admin/moderation/held/{id}/release",
            "/v1/admin/moderation/held/h1/release".into(),
            None,
            Moderator,
        ),
        (
            M::POST,
            "/v1/admin/moderation/held/{id}/reject",
            "/v1/admin/moderation/held/h1/reject".into(),
            None,
            Moderator,
        ),
        (
            M::GET,
            "/v1/admin/moderation/conversations/{id}",
            format!("/v1/admin/moderation/conversations/{d}?reason=spot%20check"),
            None,
            Moderator,
        ),
        (
            M::GET,
            "/v1/admin/moderation/reports",
            "/v1/admin/moderation/reports".into(),
            None,
            Moderator,
        ),
        (
            M::GET,
            "/v1/admin/moderation/reports/{id}",
            format!("/v1/admin/moderation/reports/{}", w.report),
            None,
            Moderator,
        ),
        (
            M::POST,
            "/v1/admin/moderation/reports/{id}/close",
            format!("/v1/admin/moderation/reports/{}/close", w.report),
            Some(json!({"outcome": "dismissed"})),
            Moderator,
        ),
        (
            M::GET,
            "/v1/admin/audit",
            "/v1/admin/audit".into(),
            None,
            Moderator,
        ),
        (
            M::POST,
            "/v1/admin/users/{id}/warn",
            "/v1/admin/users/eve/warn".into(),
            Some(json!({"message": "Be kind"})),
            Moderator,
        ),
        (
            M::POST,
            "/v1/admin/users/{id}/block",
            "/v1/admin/users/eve/block".into(),
            Some(json!({"reason": "spam"})),
            Moderator,
        ),
        (
            M::POST,
            "/v1/admin/users/{id}/unblock",
            "/v1/admin/users/eve/unblock".into(),
            None,
            Moderator,
        ),
        (
            M::PUT,
            "/v1/listings/{id}",
            "/v1/listings/L2".into(),
            Some(
                json!({"title": "t", "seller_id": "bob", "category": "c", "location": "l", "status": "active"}),
            ),
            Service,
        ),
        (
            M::PUT,
            "/v1/listings",
            "/v1/listings".into(),
            Some(
                json!({"items": [{"id": "L2", "title": "t", "seller_id": "bob", "category": "c", "location": "l", "status": "active"}]}),
            ),
            Service,
        ),
        (
            M::PUT,
            "/v1/users/{id}",
            "/v1/users/eve".into(),
            Some(json!({"tier": "basic"})),
            Service,
        ),
        (
            M::GET,
            "/v1/conversations/{id}/rating",
            format!("/v1/conversations/{s}/rating"),
            None,
            Participant,
        ),
        (
            M::POST,
            "/v1/conversations/{id}/rating",
            format!("/v1/conversations/{s}/rating"),
            Some(json!({"stars": 5})),
            Participant,
        ),
        (M::GET, "/v1/me/nps", "/v1/me/nps".into(), None, Person),
        (
            M::POST,
            "/v1/me/nps",
            "/v1/me/nps".into(),
            Some(json!({"score": 9})),
            User,
        ),
        (
            M::GET,
            "/v1/surveys/{token}",
            format!("/v1/surveys/{}", "0".repeat(52)),
            None,
            Link,
        ),
        (
            M::POST,
            "/v1/surveys/{token}",
            format!("/v1/surveys/{}", "0".repeat(52)),
            Some(json!({"stars": 5})),
            Link,
        ),
        (M::GET, "/v1/health", "/v1/health".into(), None, Anyone),
        (
            M::GET,
            "/v1/admin/reports/{month}",
            "/v1/admin/reports/2026-11".into(),
            None,
            Manager,
        ),
        (
            M::GET,
            "/v1/admin/costs/{month}",
            "/v1/admin/costs/2026-11".into(),
            None,
            FinanceOrManager,
        ),
        (
            M::GET,
            "/v1/admin/dashboard",
            "/v1/admin/dashboard".into(),
            None,
            Supervisor,
        ),
    ]
}

/// A 403 that depends on the object, not the role (whose template, whose profile): it
/// comes after the request's form is checked.
fn decided_by_the_object(access: Access, role: Role) -> bool {
    let admin = matches!(
        role,
        Role::OtherTeamAgent | Role::TeamAgent | Role::Senior | Role::Manager
    );
    matches!(access, Access::TemplateEditor | Access::ProfileEditor) && admin
}

/// The request made malformed: a body that is not JSON, or a query parameter no route
/// declares.
async fn malformed(
    app: &tests::TestApp,
    method: &Method,
    path: &str,
    token: Option<&str>,
    takes_body: bool,
) -> (StatusCode, String) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let url = format!("{path}{separator}no_such_parameter=1");
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    headers.extend(bearer.as_deref().map(|b| ("authorization", b)));
    let body = if takes_body {
        b"{\"body\": ".to_vec()
    } else {
        Vec::new()
    };
    let (code, _, answer) = app.raw(method.clone(), &url, &headers, body).await;
    (code, String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn every_role_gets_the_right_answer_on_every_route() {
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for role in ROLES {
        // A fresh world per role: what one role may change does not reach the next.
        let w = world().await;
        let token = token(&w.app, role);
        for (method, template, path, body, access) in routes(&w) {
            covered.insert(format!("{method} {template}"));
            let takes_body = body.is_some();
            let (code, answer) = w
                .app
                .call(method.clone(), &path, token.as_deref(), body)
                .await;
            let ok = match expected(access, role) {
                Expect::Status(status) => code == status,
                Expect::Allowed => {
                    let object = matches!(access, Access::Participant | Access::AdminOnSupport);
                    code != StatusCode::UNAUTHORIZED
                        && code != StatusCode::FORBIDDEN
                        && !(object && code == StatusCode::NOT_FOUND)
                }
            };
            if !ok {
                failures.push(format!(
                    "{role:?} {method} {path}: expected {:?}, got {code} {answer}",
                    expected(access, role)
                ));
            }
            // The order of checks: who may call the route is decided before anything of
            // the request is read (a malformed one is still a 401 or 403), and its form
            // before its data (anyone else gets the 400, even for what they may not see).
            let (code, answer) =
                malformed(&w.app, &method, &path, token.as_deref(), takes_body).await;
            let want = match expected(access, role) {
                Expect::Status(status)
                    if status != StatusCode::NOT_FOUND && !decided_by_the_object(access, role) =>
                {
                    Some(status)
                }
                _ if takes_body => Some(StatusCode::BAD_REQUEST),
                _ => None,
            };
            if let Some(want) = want.filter(|want| *want != code) {
                failures.push(format!(
                    "{role:?} {method} {path} malformed: expected {want}, got {code} {answer}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Every route the functions serve is in the matrix (the dev server's own are not).
    let served: BTreeSet<String> = tests::served_routes()
        .into_iter()
        .filter(|r| {
            !r.contains(" /local/")
                && !r.ends_with("/openapi.json")
                && !r.ends_with("/asyncapi.json")
        })
        .collect();
    assert_eq!(covered, served);
}
