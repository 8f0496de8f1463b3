//! Authorization route by route: identity on every call, roles on every route, and
//! visibility on every object (a conversation the caller may not see is a 404).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestApp;

struct Fixture {
    app: TestApp,
    support_id: String,
    direct_id: String,
    message_id: String,
}

/// Alice has a support conversation (team support) and a direct one with the seller Bob.
async fn fixture() -> Fixture {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    app.listing("L1", "bob", "active").await;
    let support_id = app.support(&alice, "general", "private question").await;
    let direct_id = app.direct(&alice, "L1", "hi").await;
    let (_, messages) = app
        .get(&format!("/v1/conversations/{support_id}/messages"), &alice)
        .await;
    let message_id = messages["items"][0]["id"].as_str().unwrap().to_string();
    Fixture {
        app,
        support_id,
        direct_id,
        message_id,
    }
}

/// Every user route on conversation `id`, with a valid body.
fn user_routes(id: &str, message_id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/v1/conversations/{id}"), None),
        (
            Method::GET,
            format!("/v1/conversations/{id}/messages"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/messages"),
            Some(json!({"body": "let me in"})),
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/read"),
            Some(json!({"message_id": message_id})),
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/resolve"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/conversations/{id}/reports"),
            Some(json!({"reason": "spam"})),
        ),
    ]
}

/// Every admin route on conversation `id`, with a valid body.
fn admin_routes(id: &str, message_id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/v1/admin/conversations/{id}"), None),
        (
            Method::GET,
            format!("/v1/admin/conversations/{id}/messages"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/admin/conversations/{id}/sla"),
            None,
        ),
        (
            Method::PATCH,
            format!("/v1/admin/conversations/{id}"),
            Some(json!({"status": "resolved"})),
        ),
        (
            Method::POST,
            format!("/v1/admin/conversations/{id}/replies"),
            Some(json!({"body": "hello"})),
        ),
        (
            Method::POST,
            format!("/v1/admin/conversations/{id}/read"),
            Some(json!({"message_id": message_id})),
        ),
    ]
}

#[tokio::test]
async fn another_users_conversation_is_not_found_on_every_user_route() {
    let f = fixture().await;
    let mallory = f.app.token("mallory", &[]);
    for id in [&f.support_id, &f.direct_id] {
        for (method, path, body) in user_routes(id, &f.message_id) {
            let (code, error) = f
                .app
                .call(method.clone(), &path, Some(&mallory), body)
                .await;
            assert_eq!(code, StatusCode::NOT_FOUND, "{method} {path}: {error}");
            assert_eq!(error["error"]["code"], "not_found");
        }
    }
    let (_, inbox) = f.app.get("/v1/conversations", &mallory).await;
    assert_eq!(inbox["items"], json!([]));
    // Nor does an admin see a conversation through the user routes.
    let sam = f.app.token("sam", &["agent", "team-support"]);
    let (code, _) = f
        .app
        .get(&format!("/v1/conversations/{}", f.support_id), &sam)
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_is_forbidden_on_every_admin_route() {
    let f = fixture().await;
    let alice = f.app.token("alice", &[]);
    let mut routes = admin_routes(&f.support_id, &f.message_id);
    let template = json!({"name": "n", "body": "Thanks"});
    routes.extend([
        (Method::GET, "/v1/admin/conversations".into(), None),
        (Method::GET, "/v1/admin/agents".into(), None),
        (
            Method::PATCH,
            "/v1/admin/agents/sam".into(),
            Some(json!({"away": true})),
        ),
        (Method::GET, "/v1/admin/webhooks".into(), None),
        (
            Method::POST,
            "/v1/admin/webhooks".into(),
            Some(json!({"url": "https://x.example.com", "events": ["message.created"]})),
        ),
        (Method::DELETE, "/v1/admin/webhooks/w1".into(), None),
        (Method::GET, "/v1/admin/webhooks/w1/deliveries".into(), None),
        (Method::GET, "/v1/admin/broadcasts".into(), None),
        (
            Method::POST,
            "/v1/admin/broadcasts".into(),
            Some(json!({"subject": "s", "body": "b", "segment": {"kind": "all"}})),
        ),
        (Method::GET, "/v1/admin/broadcasts/b1".into(), None),
        (Method::POST, "/v1/admin/broadcasts/b1/cancel".into(), None),
        (Method::GET, "/v1/admin/automation-rules".into(), None),
        (
            Method::PUT,
            "/v1/admin/automation-rules".into(),
            Some(json!({"version": 0, "policy": {"acknowledge": true}})),
        ),
        (Method::GET, "/v1/admin/membership-rules".into(), None),
        (
            Method::PUT,
            "/v1/admin/membership-rules".into(),
            Some(json!({"version": 0, "policy": {"rules": []}})),
        ),
        (Method::GET, "/v1/admin/routing-rules".into(), None),
        (
            Method::PUT,
            "/v1/admin/routing-rules".into(),
            Some(json!({"version": 0, "policy": {"rules": []}})),
        ),
        (Method::GET, "/v1/admin/templates".into(), None),
        (
            Method::POST,
            "/v1/admin/templates".into(),
            Some(template.clone()),
        ),
        (Method::GET, "/v1/admin/templates/t1".into(), None),
        (Method::PUT, "/v1/admin/templates/t1".into(), Some(template)),
        (Method::DELETE, "/v1/admin/templates/t1".into(), None),
        (
            Method::POST,
            "/v1/admin/templates/t1/preview".into(),
            Some(json!({})),
        ),
    ]);
    for token in [
        alice,
        f.app.token("mod", &["moderator"]),
        f.app.token("website", &["service"]),
    ] {
        for (method, path, body) in &routes {
            let (code, error) = f
                .app
                .call(method.clone(), path, Some(&token), body.clone())
                .await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{method} {path}: {error}");
            assert_eq!(error["error"]["code"], "forbidden");
        }
    }
}

/// The moderators' routes: the abuse filter's policy and the messages it holds.
fn moderation_routes() -> Vec<(Method, String, Option<Value>)> {
    let policy = json!({"version": 0, "policy": common::domain::safety::SafetyPolicy::default()});
    vec![
        (Method::GET, "/v1/admin/safety-policy".into(), None),
        (Method::PUT, "/v1/admin/safety-policy".into(), Some(policy)),
        (Method::GET, "/v1/admin/moderation/held".into(), None),
        (
            Method::POST,
            "/v1/admin/moderation/held/h1/release".into(),
            None,
        ),
        (
            Method::POST,
            "/v1/admin/moderation/held/h1/reject".into(),
            None,
        ),
        (Method::GET, "/v1/admin/audit".into(), None),
        (Method::GET, "/v1/admin/moderation/reports".into(), None),
        (Method::GET, "/v1/admin/moderation/reports/r1".into(), None),
        (
            Method::POST,
            "/v1/admin/moderation/reports/r1/close".into(),
            Some(json!({"outcome": "dismissed"})),
        ),
        (
            Method::POST,
            "/v1/admin/users/u1/block".into(),
            Some(json!({"reason": "spam"})),
        ),
        (Method::POST, "/v1/admin/users/u1/unblock".into(), None),
        (
            Method::POST,
            "/v1/admin/users/u1/warn".into(),
            Some(json!({"message": "Be kind"})),
        ),
    ]
}

#[tokio::test]
async fn only_moderators_and_managers_moderate() {
    let f = fixture().await;
    for token in [
        f.app.token("alice", &[]),
        f.app.token("sam", &["agent", "team-support"]),
        f.app.token("sue", &["senior"]),
        f.app.token("website", &["service"]),
    ] {
        for (method, path, body) in moderation_routes() {
            let (code, error) = f.app.call(method.clone(), &path, Some(&token), body).await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{method} {path}: {error}");
        }
    }
    for token in [
        f.app.token("mod", &["moderator"]),
        f.app.token("max", &["manager"]),
    ] {
        for (method, path, body) in moderation_routes() {
            let (code, error) = f.app.call(method.clone(), &path, Some(&token), body).await;
            // Let through: the second save of version 0 is a 409 (stale), not a 403.
            assert!(
                code.is_success() || [StatusCode::NOT_FOUND, StatusCode::CONFLICT].contains(&code),
                "{method} {path}: {error}"
            );
        }
    }
}

#[tokio::test]
async fn an_agent_reaches_only_their_teams_and_seniors_and_managers_reach_all() {
    let f = fixture().await;
    let bongi = f.app.token("bongi", &["agent", "team-billing"]);
    for (method, path, body) in admin_routes(&f.support_id, &f.message_id) {
        let (code, error) = f.app.call(method.clone(), &path, Some(&bongi), body).await;
        assert_eq!(
            code,
            StatusCode::NOT_FOUND,
            "another team's conversation: {method} {path}: {error}"
        );
    }
    let (code, error) = f
        .app
        .get("/v1/admin/conversations?team=support", &bongi)
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "another team's queue: {error}");
    let (_, own) = f.app.get("/v1/admin/conversations", &bongi).await;
    assert_eq!(own["items"], json!([]));

    // Direct conversations between users are not the admin queue's.
    let sue = f.app.token("sue", &["senior"]);
    for (method, path, body) in admin_routes(&f.direct_id, &f.message_id) {
        let (code, _) = f.app.call(method.clone(), &path, Some(&sue), body).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let seniors = [sue, f.app.token("max", &["manager"])];
    for token in &seniors {
        let (code, queue) = f
            .app
            .get("/v1/admin/conversations?team=support", token)
            .await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(queue["items"][0]["id"], f.support_id.as_str());
    }
    for token in &seniors {
        for (method, path, body) in admin_routes(&f.support_id, &f.message_id) {
            let (code, error) = f.app.call(method.clone(), &path, Some(token), body).await;
            assert!(code.is_success(), "{method} {path}: {error}");
        }
    }
}

#[tokio::test]
async fn only_the_website_registers_listings_and_users_and_it_takes_no_part_in_conversations() {
    let f = fixture().await;
    let listing = json!({"title": "t", "seller_id": "bob", "category": "c", "location": "l", "status": "active"});
    for token in [f.app.token("alice", &[]), f.app.token("max", &["manager"])] {
        let (code, _) = f
            .app
            .call(
                Method::PUT,
                "/v1/listings/L2",
                Some(&token),
                Some(listing.clone()),
            )
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN);
    }
    for token in [f.app.token("alice", &[]), f.app.token("max", &["manager"])] {
        let (code, _) = f
            .app
            .call(
                Method::PUT,
                "/v1/users/alice",
                Some(&token),
                Some(json!({"tier": "premium"})),
            )
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN, "only the website syncs users");
    }
    let website = f.app.token("website", &["service"]);
    let (code, _) = f
        .app
        .post(
            "/v1/conversations",
            &website,
            json!({"type": "support", "category": "general", "subject": "s", "body": "b"}),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = f.app.get("/v1/conversations", &website).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_route_needs_a_valid_token() {
    let f = fixture().await;
    let mut routes = user_routes(&f.support_id, &f.message_id);
    routes.extend(admin_routes(&f.support_id, &f.message_id));
    routes.push((Method::GET, "/v1/conversations".into(), None));
    routes.push((
        Method::POST,
        "/v1/conversations".into(),
        Some(json!({"type": "support", "category": "general", "subject": "s", "body": "b"})),
    ));
    routes.push((Method::GET, "/v1/admin/conversations".into(), None));
    routes.push((Method::GET, "/v1/admin/broadcasts".into(), None));
    routes.push((Method::GET, "/v1/me/export".into(), None));
    routes.extend(moderation_routes());
    routes.push((
        Method::PUT,
        "/v1/users/u9".into(),
        Some(json!({"tier": "basic"})),
    ));
    routes.push((Method::PUT, "/v1/listings/L9".into(), Some(json!({"title": "t", "seller_id": "b", "category": "c", "location": "l", "status": "active"}))));

    let forged = common::jwt::sign(
        &common::domain::identity::Claims {
            sub: "alice".into(),
            exp: Some(i64::MAX / 2),
            ..Default::default()
        },
        b"not-the-secret",
    );
    let expired = {
        let token = f.app.token("alice", &[]);
        f.app.clock.advance(chrono::Duration::days(2));
        token
    };
    // Correctly signed, but missing the claims every token must carry.
    let secret = tests::SECRET.as_bytes();
    let no_subject = common::jwt::sign(
        &common::domain::identity::Claims {
            sub: String::new(),
            exp: Some(i64::MAX / 2),
            ..Default::default()
        },
        secret,
    );
    let no_expiry = common::jwt::sign(
        &common::domain::identity::Claims {
            sub: "alice".into(),
            exp: None,
            ..Default::default()
        },
        secret,
    );
    // Correctly signed, but living a century, or not valid for another hour.
    let now = f.app.clock_now().timestamp();
    let century = common::jwt::sign(
        &common::domain::identity::Claims {
            sub: "alice".into(),
            exp: Some(now + 100 * 365 * 86_400),
            ..Default::default()
        },
        secret,
    );
    let not_yet = common::jwt::sign(
        &common::domain::identity::Claims {
            sub: "alice".into(),
            exp: Some(now + 7200),
            nbf: Some(now + 3600),
            ..Default::default()
        },
        secret,
    );
    // Correctly signed and current, but claims no caller may have: a `sub` that is not
    // an id (it becomes part of table and file keys: `eve/x` erasing as `eve` would
    // match Eve's files), an email or a name that would write a header of its own.
    let hostile: Vec<String> = [
        json!({"sub": "../x"}),
        json!({"sub": "a#b"}),
        json!({"sub": "USER#thandi"}),
        json!({"sub": "eve/x"}),
        json!({"sub": "a".repeat(5_000)}),
        json!({"sub": "thandi\n"}),
        json!({"sub": "thandi\u{202E}"}),
        json!({"sub": "thandi", "email": "thandi@example.com\r\nBcc: evil@x.test"}),
        json!({"sub": "thandi", "name": "Thandi\r\nBcc: evil@x.test"}),
    ]
    .into_iter()
    .map(|mut claims| {
        claims["exp"] = json!(now + 3600);
        let claims: common::domain::identity::Claims = serde_json::from_value(claims).unwrap();
        common::jwt::sign(&claims, secret)
    })
    .collect();
    for token in [
        None,
        Some("garbage"),
        Some(forged.as_str()),
        Some(expired.as_str()),
        Some(no_subject.as_str()),
        Some(no_expiry.as_str()),
        Some(century.as_str()),
        Some(not_yet.as_str()),
    ]
    .into_iter()
    .chain(hostile.iter().map(|t| Some(t.as_str())))
    {
        for (method, path, body) in &routes {
            let (code, error) = f.app.call(method.clone(), path, token, body.clone()).await;
            assert_eq!(
                code,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {token:?}: {error}"
            );
            assert_eq!(error["error"]["code"], "unauthorized");
        }
    }
}
