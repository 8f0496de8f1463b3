//! `PUT /v1/listings`: the website's launch-day sync of up to 100 listings in one call,
//! on the embedded table and on DynamoDB (moto): each listing checked as the single PUT
//! checks one, a result for each in the order sent, nothing rewritten when nothing
//! changed, and a handful of DynamoDB requests for the lot.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tests::TestApp;

fn listing(n: usize, status: &str) -> Value {
    json!({
        "id": format!("L-{n:03}"),
        "title": format!("Listing {n}"),
        "seller_id": "pieter",
        "category": "vehicles",
        "location": "Durban",
        "status": status,
    })
}

/// 100 listings, all active but L-007; three of them bad: a title on two lines (L-010),
/// an id with a space (the 51st), a status the contract does not have (L-090).
fn a_hundred_with_three_bad() -> Vec<Value> {
    let mut items: Vec<Value> = (0..100)
        .map(|n| listing(n, if n == 7 { "inactive" } else { "active" }))
        .collect();
    items[10]["title"] = json!("Bakkie\nfor sale");
    items[50]["id"] = json!("L 050");
    items[90]["status"] = json!("sold");
    items
}

async fn sync(app: &TestApp, items: &[Value]) -> (StatusCode, Value) {
    let website = app.token("website", &["service"]);
    app.call(
        Method::PUT,
        "/v1/listings",
        Some(&website),
        Some(json!({ "items": items })),
    )
    .await
}

fn outcomes(answer: &Value) -> Vec<&str> {
    answer["results"]
        .as_array()
        .unwrap_or_else(|| panic!("results in {answer}"))
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect()
}

fn count(outcomes: &[&str], outcome: &str) -> usize {
    outcomes.iter().filter(|o| **o == outcome).count()
}

/// Syncs the 100 (three bad), again as they are, then with two changed; checks each
/// answer and returns the table round trips each call took.
async fn sync_a_hundred_three_times(app: &TestApp) -> [u64; 3] {
    let mut items = a_hundred_with_three_bad();
    let round_trips = || app.table.metrics().snapshot().round_trips;

    let before = round_trips();
    let (code, first) = sync(app, &items).await;
    let first_trips = round_trips() - before;
    assert_eq!(code, StatusCode::OK, "{first}");
    let results = first["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    for (n, result) in results.iter().enumerate() {
        assert_eq!(
            result["id"], items[n]["id"],
            "results come in the order sent"
        );
    }
    let said = outcomes(&first);
    assert_eq!(count(&said, "created"), 97, "{first}");
    assert_eq!(count(&said, "refused"), 3, "{first}");
    let why = |n: usize| {
        assert_eq!(results[n]["outcome"], "refused");
        assert_eq!(results[n]["error"]["code"], "invalid_request");
        results[n]["error"]["message"].as_str().unwrap().to_string()
    };
    assert_eq!(why(10), "title: must be one line");
    assert!(why(50).starts_with("id: must be 1 to 128"), "{}", why(50));
    assert_eq!(
        why(90),
        "status: unknown variant `sold`, expected `active` or `inactive`"
    );
    assert!(results[0].get("error").is_none(), "{}", results[0]);
    let website = app.token("website", &["service"]);
    let (code, stored) = app.get("/v1/listings/L-001", &website).await;
    assert_eq!(
        (code, &stored["title"]),
        (StatusCode::OK, &json!("Listing 1"))
    );
    for refused in ["L-010", "L-090"] {
        let (code, _) = app.get(&format!("/v1/listings/{refused}"), &website).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{refused} was not stored");
    }

    // The same again, an hour later: nothing changes, nothing is written.
    app.clock.set(app.clock_now() + Duration::hours(1));
    let before = round_trips();
    let (code, again) = sync(app, &items).await;
    let again_trips = round_trips() - before;
    assert_eq!(code, StatusCode::OK, "{again}");
    let said = outcomes(&again);
    assert_eq!(said.len(), 100);
    assert_eq!(
        (count(&said, "unchanged"), count(&said, "refused")),
        (97, 3)
    );
    let (_, unchanged) = app.get("/v1/listings/L-001", &website).await;
    assert_eq!(unchanged["updated_at"], stored["updated_at"]);

    // Two changed: a new title, and one taken down.
    items[1]["title"] = json!("Listing 1, new price");
    items[20]["status"] = json!("inactive");
    let before = round_trips();
    let (code, changed) = sync(app, &items).await;
    let changed_trips = round_trips() - before;
    assert_eq!(code, StatusCode::OK, "{changed}");
    let said = outcomes(&changed);
    assert_eq!((said[1], said[20]), ("updated", "updated"));
    assert_eq!(
        (count(&said, "updated"), count(&said, "unchanged")),
        (2, 95)
    );
    let (_, updated) = app.get("/v1/listings/L-001", &website).await;
    assert_eq!(updated["title"], "Listing 1, new price");
    assert_ne!(updated["updated_at"], stored["updated_at"]);

    [first_trips, again_trips, changed_trips]
}

#[tokio::test]
async fn a_hundred_listings_with_three_bad_ones_register_ninety_seven_and_say_why() {
    let app = TestApp::in_memory();
    let trips = sync_a_hundred_three_times(&app).await;
    // One BatchGetItem for the 97 valid, then 97 writes 25 a BatchWriteItem; the
    // repeat only reads; two changed listings are one batch write.
    assert_eq!(trips, [1 + 4, 1, 1 + 1]);
}

#[tokio::test]
async fn the_same_sync_on_dynamodb_takes_five_requests_then_one() {
    let app = TestApp::on(tests::moto_table().await);
    let trips = sync_a_hundred_three_times(&app).await;
    assert_eq!(trips, [1 + 4, 1, 1 + 1]);
}

#[tokio::test]
async fn a_listing_twice_in_one_call_is_refused_the_second_time() {
    let app = TestApp::in_memory();
    let mut twice = listing(1, "inactive");
    twice["title"] = json!("The same id, sent again");
    let items = [listing(1, "active"), listing(2, "active"), twice];
    let (code, answer) = sync(&app, &items).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    assert_eq!(outcomes(&answer), ["created", "created", "refused"]);
    assert_eq!(answer["results"][2]["id"], "L-001");
    assert_eq!(
        answer["results"][2]["error"]["message"],
        "id: L-001 is listing 1 of this call already; send each listing once"
    );
    let (_, stored) = app
        .get("/v1/listings/L-001", &app.token("website", &["service"]))
        .await;
    assert_eq!(
        (&stored["title"], &stored["status"]),
        (&json!("Listing 1"), &json!("active")),
        "the first occurrence is the one stored"
    );
}

#[tokio::test]
async fn a_listing_without_a_usable_id_is_refused_and_named_by_its_place() {
    let app = TestApp::in_memory();
    let mut numbered = listing(2, "active");
    numbered["id"] = json!(2);
    let mut no_id = listing(3, "active");
    no_id.as_object_mut().unwrap().remove("id");
    let mut extra = listing(4, "active");
    extra["price"] = json!(95000);
    let items = [listing(1, "active"), numbered, no_id, extra, json!("L-5")];
    let (code, answer) = sync(&app, &items).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    let results = &answer["results"];
    assert_eq!(
        outcomes(&answer),
        ["created", "refused", "refused", "refused", "refused"]
    );
    assert_eq!(
        (&results[1]["id"], &results[2]["id"]),
        (&Value::Null, &Value::Null)
    );
    let messages: Vec<&str> = (1..5)
        .map(|n| results[n]["error"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages[0],
        "id: invalid type: integer `2`, expected a string"
    );
    assert_eq!(messages[1], "missing field `id`");
    assert!(
        messages[2].starts_with("unknown field `price`"),
        "{}",
        messages[2]
    );
    assert_eq!(messages[3], "listing: must be a JSON object");
}

#[tokio::test]
async fn more_than_a_hundred_listings_or_none_is_refused_whole() {
    let app = TestApp::in_memory();
    let items: Vec<Value> = (0..101).map(|n| listing(n, "active")).collect();
    let before = app.table.metrics().snapshot().round_trips;
    let (code, answer) = sync(&app, &items).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_request");
    assert_eq!(
        answer["error"]["message"],
        "items: at most 100 listings a call (101 sent)"
    );
    assert_eq!(
        app.table.metrics().snapshot().round_trips,
        before,
        "nothing read or written"
    );
    let (code, answer) = sync(&app, &[]).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "items: at least one listing is required"
    );
    let website = app.token("website", &["service"]);
    let (code, answer) = app
        .call(
            Method::PUT,
            "/v1/listings",
            Some(&website),
            Some(json!({"listings": [listing(1, "active")]})),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{answer}");
}

#[tokio::test]
async fn a_hundred_listings_at_their_longest_fit_in_one_call() {
    let app = TestApp::in_memory();
    let items: Vec<Value> = (0..100)
        .map(|n| {
            json!({
                "id": format!("{n:03}{}", "i".repeat(125)),
                "title": "é".repeat(200),
                "seller_id": "s".repeat(128),
                "category": "c".repeat(100),
                "location": "l".repeat(200),
                "status": "inactive",
            })
        })
        .collect();
    let body = json!({ "items": items }).to_string();
    assert!(
        body.len() > common::http::MAX_BODY_BYTES,
        "{} bytes: past the other routes' limit",
        body.len()
    );
    let (code, answer) = sync(&app, &items).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    assert_eq!(count(&outcomes(&answer), "created"), 100);
}

#[tokio::test]
async fn only_the_website_backend_syncs_listings_and_is_asked_before_the_body_is_read() {
    let app = TestApp::in_memory();
    for groups in [&[][..], &["agent", "team-support"], &["manager"]] {
        let bearer = format!("Bearer {}", app.token("someone", groups));
        let headers = [
            ("content-type", "application/json"),
            ("authorization", bearer.as_str()),
        ];
        let (code, _, answer) = app
            .raw(
                Method::PUT,
                "/v1/listings",
                &headers,
                b"{\"items\": [".to_vec(),
            )
            .await;
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(code, StatusCode::FORBIDDEN, "{groups:?}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden");
    }
    let (code, _) = app
        .call(
            Method::PUT,
            "/v1/listings",
            None,
            Some(json!({"items": [listing(1, "active")]})),
        )
        .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_listing_set_inactive_in_bulk_stops_new_conversations_as_the_single_put_does() {
    let app = TestApp::in_memory();
    let buyer = app.token("lerato", &[]);
    let (code, answer) = sync(&app, &[listing(1, "active"), listing(2, "active")]).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    app.direct(&buyer, "L-001", "Is it still available?").await;

    // L-001 taken down in bulk, L-002 on its own.
    let (code, answer) = sync(&app, &[listing(1, "inactive")]).await;
    assert_eq!((code, outcomes(&answer)), (StatusCode::OK, vec!["updated"]));
    app.listing("L-002", "pieter", "inactive").await;

    let (in_bulk, one) = (
        app.open_direct(&app.token("thabo", &[]), "L-001", "Still for sale?")
            .await,
        app.open_direct(&app.token("thabo", &[]), "L-002", "Still for sale?")
            .await,
    );
    assert_eq!(in_bulk.0, StatusCode::CONFLICT, "{}", in_bulk.1);
    // Refused the same way (each answer has its own request id).
    assert_eq!(in_bulk.0, one.0);
    assert_eq!(in_bulk.1["error"]["code"], one.1["error"]["code"]);
    assert_eq!(in_bulk.1["error"]["message"], one.1["error"]["message"]);
}

/// The monthly report's count of active listings, once the stream has run.
async fn active_listings(app: &TestApp) -> Value {
    assert!(app.deliver().await.is_empty());
    let max = app.token("max", &["manager"]);
    let (code, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    report["listings"]["active_listings"].clone()
}

#[tokio::test]
async fn listings_synced_in_bulk_count_in_the_reports_listing_coverage() {
    let app = TestApp::in_memory();
    let items = a_hundred_with_three_bad();
    sync(&app, &items).await;
    assert_eq!(
        active_listings(&app).await,
        96,
        "97 registered, L-007 inactive"
    );
    sync(&app, &items).await;
    assert_eq!(active_listings(&app).await, 96, "nothing changed");
    sync(&app, &[listing(20, "inactive"), listing(7, "active")]).await;
    app.listing("L-030", "pieter", "inactive").await;
    assert_eq!(
        active_listings(&app).await,
        95,
        "one down and one up in bulk, one down alone"
    );
}
