//! The published contract: the OpenAPI document is made from the routes' own
//! annotations (so it describes exactly what is served), and every operation, called
//! with a valid request, answers a status it documents with a body its schema (checked
//! by a JSON Schema 2020-12 validator) accepts.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::TestApp;

fn document() -> Value {
    serde_json::from_str(&local::openapi_document()).expect("the OpenAPI document is JSON")
}

/// `schema` as a standalone JSON Schema whose `#/components/...` references resolve
/// within it.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    if let Some(object) = root.as_object_mut() {
        object.insert("components".into(), doc["components"].clone());
    }
    jsonschema::draft202012::new(&root).expect("a valid JSON Schema")
}

fn conforms(doc: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    let errors: Vec<String> = validator(doc, schema)
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors.join("; ")),
    }
}

#[test]
fn the_document_describes_exactly_the_routes_served() {
    let doc = document();
    let documented: std::collections::BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    assert_eq!(documented, tests::served_routes());
    // Every operation names its errors, in the one error shape.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path}");
            if operation.get("security").is_none() {
                for status in ["401", "403"] {
                    assert!(responses.contains_key(status), "{method} {path} {status}");
                }
            }
        }
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    fn walk(doc: &Value, value: &Value, at: &str, missing: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(Value::String(reference)) = object.get("$ref") {
                    let pointer = reference.trim_start_matches('#');
                    if doc.pointer(pointer).is_none() {
                        missing.push(format!("{at}: {reference}"));
                    }
                }
                for (key, inner) in object {
                    walk(doc, inner, &format!("{at}/{key}"), missing);
                }
            }
            Value::Array(items) => {
                for (n, inner) in items.iter().enumerate() {
                    walk(doc, inner, &format!("{at}/{n}"), missing);
                }
            }
            _ => {}
        }
    }
    let doc = document();
    let mut missing = Vec::new();
    walk(&doc, &doc, "", &mut missing);
    assert!(
        missing.is_empty(),
        "dangling references:\n{}",
        missing.join("\n")
    );
}

/// What the requests refer to: a world where every kind of object exists.
struct World {
    app: TestApp,
    ids: BTreeMap<&'static str, String>,
    tokens: BTreeMap<&'static str, String>,
}

async fn world() -> World {
    let app = TestApp::in_memory();
    let token = |sub: &str, groups: &[&str]| app.token(sub, groups);
    let tokens = BTreeMap::from([
        ("alice", token("alice", &[])),
        ("bob", token("bob", &[])),
        ("sam", token("sam", &["agent", "team-support"])),
        ("max", token("max", &["manager"])),
        ("mpho", token("mpho", &["moderator"])),
        ("fiona", token("fiona", &["finance"])),
        ("website", token("website", &["service"])),
    ]);
    let (alice, bob, max, sam) = (
        &tokens["alice"],
        &tokens["bob"],
        &tokens["max"],
        &tokens["sam"],
    );
    app.listing("L1", "bob", "active").await;
    let support = app.support(alice, "general", "hello").await;
    let direct = app.direct(alice, "L1", "Is it still available?").await;
    let (_, messages) = app
        .get(&format!("/v1/conversations/{support}/messages"), alice)
        .await;
    let message = messages["items"][0]["id"].as_str().unwrap().to_string();
    let file = app
        .upload(alice, "photo.png", "image/png", tests::PNG)
        .await;
    let (code, with_file) = app
        .post(
            &format!("/v1/conversations/{direct}/messages"),
            alice,
            json!({"body": "a photo", "attachments": [file]}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{with_file}");
    let (_, support_file) = app
        .post(
            &format!("/v1/conversations/{support}/messages"),
            alice,
            json!({"body": "a photo", "attachments": [app.upload(alice, "p.png", "image/png", tests::PNG).await]}),
        )
        .await;
    let id = |value: &Value| value["id"].as_str().unwrap().to_string();
    let (_, template) = app
        .post(
            "/v1/admin/templates",
            max,
            json!({"name": "t", "body": "Thanks"}),
        )
        .await;
    let (_, webhook) = app
        .post(
            "/v1/admin/webhooks",
            max,
            json!({"url": "https://crm.example.com/hook", "events": ["message.created"]}),
        )
        .await;
    let (_, report) = app
        .post(
            &format!("/v1/conversations/{direct}/reports"),
            alice,
            json!({"reason": "spam"}),
        )
        .await;
    let (code, held) = app
        .post(
            &format!("/v1/conversations/{direct}/messages"),
            bob,
            json!({"body": "I am away, pay a deposit first to hold it and my courier brings it"}),
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{held}");
    // A second support conversation, answered and resolved: it has a survey link.
    let resolved = app.support(alice, "general", "How do I renew?").await;
    let (code, _) = app
        .post(
            &format!("/v1/admin/conversations/{resolved}/replies"),
            sam,
            json!({"body": "Press Renew.", "status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    assert!(app.run_stream().await.is_empty());
    let survey = app
        .system
        .outbox
        .sent()
        .into_iter()
        .flat_map(|sent| {
            sent.body
                .split_whitespace()
                .filter(|w| w.contains("/surveys/"))
                .map(|w| w.rsplit('/').next().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .next()
        .expect("a survey link");
    // Queued, not yet sent: the stream has not run since.
    let (_, broadcast) = app
        .post(
            "/v1/admin/broadcasts",
            max,
            json!({"subject": "s", "body": "b", "segment": {"kind": "users", "user_ids": ["alice"]}}),
        )
        .await;
    let (code, rated) = app
        .post(
            &format!("/v1/conversations/{resolved}/rating"),
            alice,
            json!({"stars": 3}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{rated}");
    let (code, blocked) = app
        .post(
            "/v1/admin/users/eve/block",
            &tokens["mpho"],
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{blocked}");
    let (_, notifications) = app.get("/v1/notifications", alice).await;
    let notification = notifications["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Sam joins the directory with a queue call.
    let (code, _) = app.get("/v1/admin/conversations", sam).await;
    assert_eq!(code, StatusCode::OK);
    let file_of = |message: &Value| {
        message["attachments"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ids = BTreeMap::from([
        ("support", support),
        ("direct", direct),
        ("resolved", resolved),
        ("message", message),
        ("direct_file_message", id(&with_file)),
        ("direct_file", file_of(&with_file)),
        ("support_file_message", id(&support_file)),
        ("support_file", file_of(&support_file)),
        ("template", id(&template)),
        ("webhook", id(&webhook)),
        ("broadcast", id(&broadcast)),
        ("report", id(&report)),
        ("held", held["held_id"].as_str().unwrap().to_string()),
        ("survey", survey),
        ("notification", notification),
    ]);
    World { app, ids, tokens }
}

/// A valid request for an operation: its path, who calls, and its body.
fn request(w: &World, operation: &str, path: &str) -> (String, &'static str, Option<Value>) {
    let ids = &w.ids;
    let admin_or_user = |path: &str| {
        if path.starts_with("/v1/admin") {
            "max"
        } else {
            "alice"
        }
    };
    let mut caller = admin_or_user(path);
    // (The direct one is reported already in the world: a second report is a 409.)
    let conversation = match operation {
        "moderateConversation" | "moderateAttachment" | "downloadAttachment" => &ids["direct"],
        "rateConversation" | "getRating" | "resolveConversation" => &ids["resolved"],
        _ => &ids["support"],
    };
    let (message, attachment) = match operation {
        "downloadAttachment" | "moderateAttachment" => {
            (&ids["direct_file_message"], &ids["direct_file"])
        }
        _ => (&ids["support_file_message"], &ids["support_file"]),
    };
    let mut concrete = path
        .replace("{message_id}", message)
        .replace("{attachment_id}", attachment)
        .replace("{month}", "2026-11")
        .replace("{token}", &ids["survey"]);
    let id = match () {
        _ if path.starts_with("/v1/listings") => "L1".to_string(),
        _ if path.starts_with("/v1/users") => "alice".to_string(),
        _ if path.starts_with("/v1/admin/agents") => "sam".to_string(),
        _ if path.starts_with("/v1/admin/templates") => ids["template"].clone(),
        _ if path.starts_with("/v1/admin/webhooks") => ids["webhook"].clone(),
        _ if path.starts_with("/v1/admin/broadcasts") => ids["broadcast"].clone(),
        _ if path.starts_with("/v1/admin/moderation/reports") => ids["report"].clone(),
        _ if path.starts_with("/v1/admin/moderation/held") => ids["held"].clone(),
        _ if operation == "unblockUser" => "eve".to_string(),
        _ if path.starts_with("/v1/admin/users") => "bob".to_string(),
        _ if path.starts_with("/v1/notifications") => ids["notification"].clone(),
        _ => conversation.clone(),
    };
    concrete = concrete.replace("{id}", &id);
    let moderation =
        path.starts_with("/v1/admin/moderation") || path.starts_with("/v1/admin/users");
    if moderation && operation != "userConversations" {
        caller = "mpho";
        if operation.starts_with("moderate") {
            concrete.push_str("?reason=a%20report");
        }
    }
    if operation == "search" || operation == "adminSearch" {
        concrete.push_str("?q=help");
    }
    let body = match operation {
        "createConversation" => Some(json!({"type": "direct", "listing_id": "L1", "body": "hi"})),
        "postMessage" => Some(json!({"body": "more"})),
        "markRead" | "adminMarkRead" => Some(json!({"message_id": ids["message"]})),
        "reply" => Some(json!({"body": "answer", "status": "open"})),
        "updateConversation" => Some(json!({"priority": "urgent"})),
        "mergeConversation" => Some(json!({"into": ids["resolved"]})),
        "createBroadcast" => Some(
            json!({"subject": "s", "body": "b", "segment": {"kind": "users", "user_ids": ["alice"]}}),
        ),
        "broadcastReach" => Some(json!({"segment": {"kind": "all"}})),
        "putSafetyPolicy" => {
            caller = "mpho";
            Some(json!({"version": 0, "policy": common::domain::safety::SafetyPolicy::default()}))
        }
        "putSlaPolicy" | "putRoutingRules" | "putMembershipRules" | "putAutomationRules" => None,
        "blockUser" => Some(json!({"reason": "spam"})),
        "warnUser" => Some(json!({"message": "Be kind"})),
        "reportConversation" => Some(json!({"reason": "spam"})),
        "closeReport" => Some(json!({"outcome": "dismissed"})),
        "putUser" => Some(json!({"email": "alice@example.co.za", "tier": "premium"})),
        "putListing" => Some(
            json!({"title": "t", "seller_id": "bob", "category": "c", "location": "l", "status": "active"}),
        ),
        // One listing refused, so that the refusal's shape is checked too.
        "putListings" => Some(json!({"items": [
            {"id": "L1", "title": "t", "seller_id": "bob", "category": "c", "location": "l", "status": "active"},
            {"id": "L2", "title": "t", "seller_id": "bob", "category": "c", "location": "l", "status": "sold"},
        ]})),
        "putPreferences" => Some(json!({"email": true})),
        "createTemplate" | "updateTemplate" => Some(json!({"name": "n", "body": "Thanks again"})),
        "previewTemplate" => Some(json!({})),
        "updateAgent" => Some(json!({"capacity": 10})),
        "createWebhook" => {
            Some(json!({"url": "https://crm.example.com/other", "events": ["status.changed"]}))
        }
        "createUpload" => {
            Some(json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 10}))
        }
        "rateConversation" | "answerSurvey" => Some(json!({"stars": 4})),
        "answerNps" => Some(json!({"score": 9})),
        "localSlaCheck" | "localMonthlyReport" | "localDeliverDue" => Some(json!({})),
        _ => None,
    };
    match operation {
        "putListing" | "putListings" | "putUser" => caller = "website",
        "monthlyCost" => caller = "fiona",
        "adminMarkRead" | "reply" | "updateConversation" | "adminGetConversation" => caller = "sam",
        _ => {}
    }
    (concrete, caller, body)
}

#[tokio::test]
async fn every_operation_called_validly_answers_as_documented() {
    let doc = document();
    let mut failures = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let operation_id = operation["operationId"].as_str().unwrap();
            // The signed file routes take the URLs the API signs (tests::put_signed does);
            // the inbound email route raw mail (the email_replies suite sends it).
            if path.starts_with("/local/objects") || path == "/local/inbound-email" {
                continue;
            }
            // A fresh world for each: what one operation changes or deletes is not the
            // next one's starting point.
            let w = world().await;
            let (concrete, caller, mut body) = request(&w, operation_id, path);
            // Configuration documents are sent back as their GET showed them.
            if body.is_none() && method == "put" && operation.get("requestBody").is_some() {
                let (_, current) = w.app.get(&concrete, &w.tokens[caller]).await;
                body = Some(current);
            }
            assert_eq!(
                body.is_some(),
                operation.get("requestBody").is_some(),
                "{operation_id}: a body exactly where the document takes one"
            );
            let token = (operation.get("security").is_none()).then(|| w.tokens[caller].as_str());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (code, response) = w.app.call(method, &concrete, token, body).await;
            if !code.is_success() {
                failures.push(format!("{operation_id}: {code} {response}"));
                continue;
            }
            let documented = &operation["responses"][code.as_str()];
            if !documented.is_object() {
                failures.push(format!("{operation_id}: {code} is not documented"));
                continue;
            }
            if let Some(schema) = documented.pointer("/content/application~1json/schema")
                && let Err(problems) = conforms(&doc, schema, &response)
            {
                failures.push(format!("{operation_id}: {problems}\n  {response}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn error_responses_have_the_documented_shape() {
    let doc = document();
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    for (token, path, status) in [
        (None, "/v1/conversations", StatusCode::UNAUTHORIZED),
        (
            Some(alice.as_str()),
            "/v1/admin/conversations",
            StatusCode::FORBIDDEN,
        ),
        (
            Some(alice.as_str()),
            "/v1/conversations/nope",
            StatusCode::NOT_FOUND,
        ),
        (
            Some(alice.as_str()),
            "/v1/conversations?limit=0",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (code, error) = app.call(Method::GET, path, token, None).await;
        assert_eq!(code, status, "{path}: {error}");
        conforms(&doc, &json!({"$ref": "#/components/schemas/Error"}), &error).unwrap();
    }
    // The validator is not vacuous: what is not the error shape is refused.
    let not_an_error = json!({"error": {"code": "oops"}});
    assert!(
        conforms(
            &doc,
            &json!({"$ref": "#/components/schemas/Error"}),
            &not_an_error
        )
        .is_err()
    );
}
