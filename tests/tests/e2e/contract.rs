//! The published contract: the OpenAPI document and the routers agree, and responses
//! carry what the document promises.

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::{Value, json};
use tests::TestApp;

fn document() -> Value {
    serde_json::from_str(common::OPENAPI).expect("the OpenAPI document is JSON")
}

#[test]
fn the_document_describes_exactly_the_routes_served() {
    let doc = document();
    let documented: BTreeSet<String> = doc["paths"]
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
}

/// Checks `value` against `schema`: required properties present, types of enums,
/// recursing through objects, arrays and `$ref`s.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap();
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(required) = schema["required"].as_array() {
        for field in required {
            let field = field.as_str().unwrap();
            if value.get(field).is_none() {
                return Err(format!("{at}: missing required {field}"));
            }
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (name, property) in properties {
            if let Some(inner) = object.get(name).filter(|v| !v.is_null()) {
                conforms(doc, property, inner, &format!("{at}.{name}"))?;
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (n, item) in array.iter().enumerate() {
            conforms(doc, items, item, &format!("{at}[{n}]"))?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let doc = document();
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let max = app.token("max", &["manager"]);
    let website = app.token("website", &["service"]);
    app.listing("L1", "bob", "active").await;
    let id = app.support(&alice, "general", "hello").await;
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &alice)
        .await;
    let message_id = messages["items"][0]["id"].as_str().unwrap().to_string();

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let operation_id = operation["operationId"].as_str().unwrap();
            let body = match operation_id {
                "createConversation" => {
                    Some(json!({"type": "direct", "listing_id": "L1", "body": "hi"}))
                }
                "postMessage" => Some(json!({"body": "more"})),
                "markRead" | "adminMarkRead" => Some(json!({"message_id": message_id})),
                "reply" => Some(json!({"body": "answer", "status": "open"})),
                "updateConversation" => Some(json!({"priority": "urgent"})),
                "createBroadcast" => Some(
                    json!({"subject": "s", "body": "b", "segment": {"kind": "users", "user_ids": ["alice"]}}),
                ),
                "putSafetyPolicy" => Some(
                    serde_json::to_value(common::domain::safety::SafetyPolicy::default()).unwrap(),
                ),
                "blockUser" => Some(json!({"reason": "spam"})),
                "warnUser" => Some(json!({"message": "Be kind"})),
                "reportConversation" => Some(json!({"reason": "spam"})),
                "closeReport" => Some(json!({"outcome": "dismissed"})),
                "putUser" => Some(json!({"email": "alice@example.co.za", "tier": "premium"})),
                "putListing" => Some(
                    json!({"title": "t", "seller_id": "bob", "category": "c", "location": "l", "status": "active"}),
                ),
                _ => None,
            };
            let token = match operation["tags"][0].as_str() {
                Some("users") => Some(alice.as_str()),
                Some("admins") => Some(max.as_str()),
                Some("website") => Some(website.as_str()),
                _ => None,
            };
            let concrete = path.replace(
                "{id}",
                if path.starts_with("/v1/listings") {
                    "L1"
                } else {
                    &id
                },
            );
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (code, response) = app.call(method, &concrete, token, body).await;
            let documented = &operation["responses"][code.as_str()];
            assert!(
                documented.is_object(),
                "{operation_id} answered {code}, which the document does not list: {response}"
            );
            if let Some(schema) = documented.pointer("/content/application~1json/schema") {
                conforms(&doc, schema, &response, operation_id).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn error_responses_have_the_documented_shape() {
    let doc = document();
    let app = TestApp::in_memory();
    let (code, error) = app.call(Method::GET, "/v1/conversations", None, None).await;
    assert_eq!(code, 401);
    conforms(
        &doc,
        &json!({"$ref": "#/components/schemas/Error"}),
        &error,
        "error",
    )
    .unwrap();
}
