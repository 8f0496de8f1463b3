//! Reply templates through HTTP: create, list, edit, delete, preview, and replies that
//! fill placeholders from the conversation, the listing, the agent and the admin's own
//! variables; never a message with a placeholder left in it.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, error_message};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (code, created) = app.post("/v1/admin/templates", token, body).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    created
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn templates_are_created_listed_by_team_and_category_edited_and_deleted() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    let bongi = app.token("bongi", &["agent", "team-billing"]);
    let renew = create(
        &app,
        &sam,
        json!({"name": "Renewing an ad", "team": "support", "category": "general",
               "body": "Hi {{user.first_name | \"there\"}}, open My Ads and choose Renew."}),
    )
    .await;
    assert_eq!(renew["placeholders"], json!(["user.first_name"]));
    assert_eq!(renew["usage_count"], 0);
    create(
        &app,
        &bongi,
        json!({"name": "Refund on its way", "team": "billing", "category": "payment",
               "body": "Your refund for {{conversation.subject}} is on its way."}),
    )
    .await;
    create(
        &app,
        &bongi,
        json!({"name": "Any team: thanks", "body": "Thank you for your patience."}),
    )
    .await;

    let (_, support) = app.get("/v1/admin/templates?team=support", &sam).await;
    assert_eq!(names(&support), ["Any team: thanks", "Renewing an ad"]);
    let (_, payment) = app.get("/v1/admin/templates?category=payment", &sam).await;
    assert_eq!(names(&payment), ["Any team: thanks", "Refund on its way"]);
    let (code, error) = app.get("/v1/admin/templates?team=nowhere", &sam).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");

    let id = renew["id"].as_str().unwrap();
    let path = format!("/v1/admin/templates/{id}");
    let edit = json!({"name": "Renewing an ad", "team": "support", "body": "Open My Ads, {{user.first_name | 'friend'}}."});
    let (code, _) = app
        .call(Method::PUT, &path, Some(&bongi), Some(edit.clone()))
        .await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "only the author, a senior or a manager"
    );
    let (code, edited) = app.call(Method::PUT, &path, Some(&sam), Some(edit)).await;
    assert_eq!(code, StatusCode::OK, "{edited}");
    assert_eq!(edited["category"], Value::Null);
    let (_, read) = app.get(&path, &bongi).await;
    assert_eq!(read, edited);

    let sue = app.token("sue", &["senior"]);
    let (code, _) = app.call(Method::DELETE, &path, Some(&sue), None).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, _) = app.get(&path, &sam).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = app.get(&path, &app.token("alice", &[])).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "users never see templates");
}

#[tokio::test]
async fn a_template_with_an_unknown_placeholder_or_bad_syntax_is_refused_by_name() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    let (code, error) = app
        .post(
            "/v1/admin/templates",
            &sam,
            json!({"name": "n", "body": "Dear {{user.surname}}"}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let message = error_message(&error);
    assert!(
        message.starts_with("body: unknown placeholder {{user.surname}}"),
        "{message}"
    );
    let (code, error) = app
        .post(
            "/v1/admin/templates",
            &sam,
            json!({"name": "n", "body": "Hi {{ user.first_name"}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    let (_, list) = app.get("/v1/admin/templates", &sam).await;
    assert_eq!(list["items"], json!([]), "nothing saved");
}

#[tokio::test]
async fn a_reply_with_a_template_fills_it_counts_its_use_and_never_leaves_braces() {
    let app = TestApp::in_memory();
    app.listing("corolla", "pieter", "active").await;
    let thandi = app.token("thandi", &[]);
    let request = json!({"type": "support", "category": "general", "subject": "Renewing my ad",
                         "listing_id": "corolla", "body": "How do I renew?"});
    let (_, created) = app.post("/v1/conversations", &thandi, request).await;
    let id = created["conversation"]["id"].as_str().unwrap().to_string();
    let sam = app.token("sam", &["agent", "team-support"]);
    let template = create(
        &app,
        &sam,
        json!({"name": "Renew", "body": "Hi {{user.first_name | \"there\"}}, your ad {{listing.title}} ({{conversation.id}}) renews on {{var.date}}. {{agent.name}}"}),
    )
    .await;
    let template_id = template["id"].as_str().unwrap();
    let replies = format!("/v1/admin/conversations/{id}/replies");

    // No value for var.date and no fallback: refused, nothing written.
    let (code, error) = app
        .post(
            &replies,
            &sam,
            json!({"template_id": template_id, "variables": {"agent.name": "Sam"}}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(error_message(&error).contains("var.date"), "{error}");
    let (code, error) = app
        .post(
            &replies,
            &sam,
            json!({"template_id": template_id, "variables": {"user.surname": "N"}}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");

    let (code, message) = app
        .post(
            &replies,
            &sam,
            json!({"template_id": template_id, "variables": {"var.date": "1 December", "agent.name": "Sam"}}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{message}");
    assert_eq!(
        message["body"],
        format!("Hi there, your ad Listing corolla ({id}) renews on 1 December. Sam")
    );
    assert_eq!(message["template_id"], template_id);
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &thandi)
        .await;
    assert_eq!(
        messages["items"].as_array().unwrap().len(),
        2,
        "one reply, from the third try"
    );
    let (_, counted) = app
        .get(&format!("/v1/admin/templates/{template_id}"), &sam)
        .await;
    assert_eq!(counted["usage_count"], 1);

    let (code, _) = app
        .post(
            &replies,
            &sam,
            json!({"template_id": "01JNOSUCHTEMPLATE000000000"}),
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_preview_fills_the_template_with_sample_data() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    let template = create(
        &app,
        &sam,
        json!({"name": "Renew", "body": "Hi {{user.first_name}}, {{listing.title}} in {{listing.location}}: {{var.date | 'soon'}}"}),
    )
    .await;
    let path = format!(
        "/v1/admin/templates/{}/preview",
        template["id"].as_str().unwrap()
    );
    let (code, preview) = app.post(&path, &sam, json!({})).await;
    assert_eq!(code, StatusCode::OK, "{preview}");
    assert_eq!(
        preview["body"],
        "Hi Thandi, Toyota Corolla 1.6 2015 in Pretoria: soon"
    );
    let (_, preview) = app
        .post(&path, &sam, json!({"variables": {"var.date": "Friday"}}))
        .await;
    assert_eq!(
        preview["body"],
        "Hi Thandi, Toyota Corolla 1.6 2015 in Pretoria: Friday"
    );
    // As a reply in a real conversation would be: its user's name; only one the caller works.
    let naledi = app.token_with("naledi", "Naledi Dlamini", "naledi@example.co.za");
    let id = app.support(&naledi, "general", "How do I renew?").await;
    let simple = create(
        &app,
        &sam,
        json!({"name": "Hi", "body": "Hi {{user.first_name}}."}),
    )
    .await;
    let path = format!(
        "/v1/admin/templates/{}/preview",
        simple["id"].as_str().unwrap()
    );
    let (code, preview) = app.post(&path, &sam, json!({"conversation_id": id})).await;
    assert_eq!(code, StatusCode::OK, "{preview}");
    assert_eq!(preview["body"], "Hi Naledi.");
    let bongi = app.token("bongi", &["agent", "team-billing"]);
    let (code, _) = app
        .post(&path, &bongi, json!({"conversation_id": id}))
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "not the billing team's");
}

#[tokio::test]
async fn creating_a_template_twice_with_one_key_creates_one() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    let body = json!({"name": "Thanks", "body": "Thank you."});
    let mut created = Vec::new();
    for _ in 0..2 {
        let (code, template) = app
            .post_with_key("/v1/admin/templates", &sam, body.clone(), "t-1")
            .await;
        assert_eq!(code, StatusCode::CREATED);
        created.push(template);
    }
    assert_eq!(created[0], created[1]);
    let (_, list) = app.get("/v1/admin/templates", &sam).await;
    assert_eq!(names(&list), ["Thanks"]);
}

#[tokio::test]
async fn a_template_has_a_budget_so_no_preview_reply_or_automation_can_exhaust_the_server() {
    let app = TestApp::in_memory();
    let sam = app.token("sam", &["agent", "team-support"]);
    // The reviewer's template: five 100 MB repetitions, about a gigabyte to preview.
    let (code, error) = app
        .post(
            "/v1/admin/templates",
            &sam,
            json!({"name": "big", "body": "{{ 'a' * 100000000 }}".repeat(5)}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    assert!(error_message(&error).contains("compute nothing"), "{error}");

    // Loops may be written, but spend at most the budget on what they are given.
    let loops = "{% for a in var.x %}{% for b in var.x %}{% for c in var.x %}.{% endfor %}{% endfor %}{% endfor %}";
    let template = create(&app, &sam, json!({"name": "loops", "body": loops})).await;
    let path = format!(
        "/v1/admin/templates/{}/preview",
        template["id"].as_str().unwrap()
    );
    let (code, error) = app
        .post(
            &path,
            &sam,
            json!({"variables": {"var.x": "x".repeat(200)}}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    assert!(error_message(&error).contains("too much work"), "{error}");
    let (code, preview) = app
        .post(&path, &sam, json!({"variables": {"var.x": "xy"}}))
        .await;
    assert_eq!(
        (code, &preview["body"]),
        (StatusCode::OK, &json!("........")),
        "{preview}"
    );
}
