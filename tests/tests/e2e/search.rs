//! Search through the API: what matches, how results page, and that nothing is found
//! the caller could not read (a matrix of roles against kinds of conversation), checked
//! against a brute-force scan of a generated corpus; erasure, hiding and retention take
//! words out of the index; and the same on DynamoDB (moto).

use axum::http::StatusCode;
use common::domain::search::SearchQuery;
use common::store::table::{Item, Value};
use serde_json::{Value as Json, json};
use tests::{TestApp, error_message};

/// `GET path?q=…&extra`, URL-encoded: the answer.
async fn search(
    app: &TestApp,
    path: &str,
    token: &str,
    q: &str,
    extra: &str,
) -> (StatusCode, Json) {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    app.get(&format!("{path}?q={q}{extra}"), token).await
}

/// Every result of a search, following the cursors: (conversation, message) pairs.
async fn all_results(
    app: &TestApp,
    path: &str,
    token: &str,
    q: &str,
    extra: &str,
) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    for _ in 0..200 {
        let (code, page) = search(app, path, token, q, &format!("{extra}{cursor}")).await;
        assert_eq!(code, StatusCode::OK, "{page}");
        for hit in page["items"].as_array().unwrap() {
            found.push((
                hit["conversation_id"].as_str().unwrap().to_string(),
                hit["message_id"].as_str().map(str::to_string),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return found,
        }
    }
    panic!("the search did not end");
}

fn marked(hit: &Json) -> Vec<String> {
    let chars: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let (a, b) = (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
            );
            chars[a..b].iter().collect()
        })
        .collect()
}

/// Every index entry's terms, to look for words that must be gone.
fn index_terms(app: &TestApp) -> Vec<String> {
    app.embedded
        .as_ref()
        .unwrap()
        .items()
        .into_iter()
        .filter(|item: &Item| {
            item.get("pk")
                .and_then(Value::as_s)
                .is_some_and(|pk| pk.starts_with("SEARCH#"))
        })
        .map(|item| item["terms"].as_s().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_user_finds_their_messages_by_prefix_in_any_order_case_and_accents_folded() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    // A payment question: the billing team's.
    let bongi = app.token("bongi", &["agent", "team-billing"]);
    let id = app
        .support(
            &thandi,
            "payment",
            "I paid twice for my Toyota Corolla ad: a double charge on my card at the Café.",
        )
        .await;
    app.clock.advance(chrono::Duration::minutes(5));
    let (code, reply) = app
        .post_reply(
            &bongi,
            &id,
            json!({"body": "Sorry about the double charge, Thandi: the refund is on its way."}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    app.deliver().await;

    let (code, page) = search(&app, "/v1/search", &thandi, "corol", "").await;
    assert_eq!(code, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["conversation_id"], id.as_str());
    assert_eq!(marked(&items[0]), ["Corolla"]);
    assert_eq!(items[0]["conversation"]["subject"], "Help");
    assert!(page["next_cursor"].is_null());

    // Both messages have both words; newest first.
    let (_, page) = search(&app, "/v1/search", &thandi, "CHARGE double", "").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert_eq!(items[0]["message_id"], reply["id"]);
    assert_eq!(marked(&items[0]), ["double", "charge"]);
    // Accents fold both ways; a phrase must be as written.
    for (q, hits) in [
        ("cafe", 1),
        ("CAFÉ", 1),
        ("\"double charge\"", 2),
        ("\"charge double\"", 0),
        ("refund honda", 0),
    ] {
        let (_, page) = search(&app, "/v1/search", &thandi, q, "").await;
        assert_eq!(page["items"].as_array().unwrap().len(), hits, "{q}: {page}");
    }
    // The subject is found too, as the conversation's own words.
    let (_, page) = search(&app, "/v1/search", &thandi, "help", "").await;
    assert_eq!(page["items"][0]["message_id"], Json::Null, "{page}");
    // Nobody else finds Thandi's words.
    let eve = app.token("eve", &[]);
    let (_, page) = search(&app, "/v1/search", &eve, "corolla", "").await;
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn bad_queries_and_filters_are_refused_naming_the_field_and_the_wrong_role_first() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    for (q, field) in [
        ("", "q"),
        ("   ", "q"),
        ("?!", "q"),
        (&"x".repeat(201), "q"),
        (
            "one two three four five six seven eight nine ten eleven",
            "q",
        ),
    ] {
        let (code, answer) = search(&app, "/v1/search", &thandi, q, "").await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{q:?}");
        assert!(error_message(&answer).starts_with(field), "{answer}");
    }
    let (code, answer) = app.get("/v1/search", &thandi).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{answer}");
    for (extra, field) in [
        ("&colour=red", "unknown field"),
        ("&limit=51", "limit"),
        ("&cursor=nope", "cursor"),
    ] {
        let (code, answer) = search(&app, "/v1/search", &thandi, "car", extra).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{extra}");
        assert!(error_message(&answer).contains(field), "{extra}: {answer}");
    }
    let sam = app.token("sam", &["agent", "team-support"]);
    for (extra, field) in [
        ("&team=billing", "team"),
        ("&status=lost", "status"),
        (
            "&since=2026-10-02T00:00:00Z&until=2026-10-01T00:00:00Z",
            "until",
        ),
        ("&reason=spam", "moderators"),
    ] {
        let (code, answer) = search(&app, "/v1/admin/search", &sam, "car", extra).await;
        assert!(
            code == StatusCode::BAD_REQUEST || code == StatusCode::FORBIDDEN,
            "{extra}"
        );
        assert!(error_message(&answer).contains(field), "{extra}: {answer}");
    }
    // A moderator says why, or is told to.
    let mpho = app.token("mpho", &["moderator"]);
    let (code, answer) = search(&app, "/v1/admin/search", &mpho, "car", "").await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(error_message(&answer).starts_with("reason"), "{answer}");
    let (code, answer) = search(
        &app,
        "/v1/admin/search",
        &mpho,
        "car",
        "&reason=spam&team=sales",
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(error_message(&answer).starts_with("team"), "{answer}");
    // The wrong role is refused before the query is looked at.
    let website = app.token("website", &["service"]);
    let (code, _) = app.get("/v1/search?q=", &website).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = app.get("/v1/admin/search?q=", &thandi).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

/// The world of the matrix: Alice's support conversation (team support) with an
/// internal note, Alice's buyer–seller thread with Bob, Eve's billing conversation, and
/// a message of Alice's a moderator hid. Every text has the word "zebra".
struct World {
    app: TestApp,
    support: String,
    note: String,
    direct: String,
    billing: String,
}

async fn world() -> World {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    let bob = app.token("bob", &[]);
    let eve = app.token("eve", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    let mpho = app.token("mpho", &["moderator"]);
    app.listing("L1", "bob", "active").await;
    let support = app
        .support(&alice, "general", "zebra support question")
        .await;
    let (_, note) = app
        .post_reply(
            &sam,
            &support,
            json!({"body": "zebra internal note", "internal": true}),
        )
        .await;
    let direct = app.direct(&alice, "L1", "zebra direct question").await;
    let (_, answer) = app
        .post_message(&bob, &direct, "zebra answer from the seller")
        .await;
    let (_, rude) = app.post_message(&bob, &direct, "zebra rude words").await;
    let (code, report) = app
        .post(
            &format!("/v1/conversations/{direct}/reports"),
            &alice,
            json!({"reason": "abuse", "message_id": rude["id"]}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{report}");
    let (code, closed) = app
        .post(
            &format!(
                "/v1/admin/moderation/reports/{}/close",
                report["id"].as_str().unwrap()
            ),
            &mpho,
            json!({"outcome": "message_hidden"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{closed}");
    let (code, _) = app
        .open_support(&eve, "payment", "Refund", "zebra billing question")
        .await;
    assert_eq!(code, StatusCode::CREATED);
    let (_, eves) = app.get("/v1/conversations", &eve).await;
    let billing = eves["items"][0]["id"].as_str().unwrap().to_string();
    assert!(answer["id"].is_string());
    app.deliver().await;
    World {
        app,
        support,
        note: note["id"].as_str().unwrap().to_string(),
        direct,
        billing,
    }
}

/// What one role finds of the world: Alice's support conversation's results, whether
/// the internal note is among them, the thread's, and Eve's billing conversation's.
type Finds = (usize, bool, usize, usize);

#[tokio::test]
async fn each_role_finds_exactly_what_it_may_read() {
    let w = world().await;
    let app = &w.app;
    // Who finds what of "zebra": (conversation, message is the note?) counts per kind.
    let found = |results: &[(String, Option<String>)]| {
        let of = |id: &str| results.iter().filter(|(c, _)| c == id).count();
        let note = results
            .iter()
            .any(|(_, m)| m.as_deref() == Some(w.note.as_str()));
        (of(&w.support), note, of(&w.direct), of(&w.billing))
    };
    let cases: [(&str, &[&str], &str, &str, Finds); 9] = [
        // The user's own: her question and the subject; not the note.
        ("alice", &[], "/v1/search", "", (1, false, 2, 0)),
        // Bob: the thread he is in (his answer, Alice's question), not the hidden one.
        ("bob", &[], "/v1/search", "", (0, false, 2, 0)),
        ("eve", &[], "/v1/search", "", (0, false, 0, 1)),
        // Agents: their team's support conversations with notes; no threads.
        (
            "sam",
            &["agent", "team-support"],
            "/v1/admin/search",
            "",
            (2, true, 0, 0),
        ),
        (
            "bongi",
            &["agent", "team-billing"],
            "/v1/admin/search",
            "",
            (0, false, 0, 1),
        ),
        ("sue", &["senior"], "/v1/admin/search", "", (2, true, 0, 1)),
        ("max", &["manager"], "/v1/admin/search", "", (2, true, 0, 1)),
        // Moderators and managers, saying why: threads, never support conversations.
        (
            "mpho",
            &["moderator"],
            "/v1/admin/search",
            "&reason=report%20check",
            (0, false, 2, 0),
        ),
        (
            "max",
            &["manager"],
            "/v1/admin/search",
            "&reason=report%20check",
            (0, false, 2, 0),
        ),
    ];
    for (who, groups, path, extra, expected) in cases {
        let token = app.token(who, groups);
        let results = all_results(app, path, &token, "zebra", extra).await;
        assert_eq!(found(&results), expected, "{who} {extra}: {results:?}");
    }
    // Nothing anyone finds is the hidden message.
    let (_, thread) = app
        .get(
            &format!("/v1/conversations/{}/messages", w.direct),
            &app.token("alice", &[]),
        )
        .await;
    let hidden = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"].as_str().unwrap().contains("removed"))
        .unwrap()["id"]
        .clone();
    assert!(
        !index_terms(app).iter().any(|t| t.contains("rude")),
        "hiding took its words out"
    );
    assert!(hidden.is_string());
    // The moderators' search is audited with its reason.
    let mpho = app.token("mpho", &["moderator"]);
    let (_, audit) = app.get("/v1/admin/audit", &mpho).await;
    let searched: Vec<&Json> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "conversations.searched")
        .collect();
    assert_eq!(searched.len(), 2, "{audit}");
    assert!(
        searched[0]["detail"]
            .as_str()
            .unwrap()
            .contains("report check")
    );
}

#[tokio::test]
async fn admins_narrow_by_team_status_category_assignee_and_time_and_find_by_id_or_person() {
    let app = TestApp::in_memory();
    let sue = app.token("sue", &["senior"]);
    let thandi = app.token_with("u-4821", "Thandi Nkosi", "thandi@example.co.za");
    let id = app
        .support(&thandi, "payment", "double charge on my card")
        .await;
    app.clock.advance(chrono::Duration::hours(1));
    let later = app.clock_now();
    let other = app
        .support(&app.token("eve", &[]), "general", "double charge question")
        .await;
    app.deliver().await;
    let count = |extra: &'static str, q: &'static str| {
        let app = &app;
        let sue = &sue;
        async move {
            all_results(app, "/v1/admin/search", sue, q, extra)
                .await
                .len()
        }
    };
    let (_, page) = search(&app, "/v1/admin/search", &sue, "double charge", "").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(count("&category=payment", "double charge").await, 1);
    assert_eq!(count("&status=open", "double").await, 2);
    assert_eq!(count("&team=support", "double").await, 1);
    assert_eq!(count("&status=resolved", "double").await, 0);
    assert_eq!(count("&assignee=none", "double").await, 2);
    assert_eq!(count("&assignee=me", "double").await, 0);
    let since = format!(
        "&since={}",
        later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let results = all_results(&app, "/v1/admin/search", &sue, "double", &since).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].0, other);
    // By the conversation's id, the user's email, name or id.
    for q in [
        id.as_str(),
        "u-4821",
        "thandi@example.co.za",
        "Nkosi",
        "thandi",
    ] {
        let (_, page) = search(&app, "/v1/admin/search", &sue, q, "").await;
        let hit = &page["items"][0];
        assert_eq!(hit["conversation_id"], id.as_str(), "{q}: {page}");
        assert_eq!(hit["other_party"], "Thandi Nkosi", "{q}");
    }
}

#[tokio::test]
async fn results_page_through_everything_a_brute_force_scan_finds_and_nothing_more() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    let sam = app.token("sam", &["agent", "team-support"]);
    // One user writing thousands of messages: out of the rate limits' way.
    let mpho = app.token("mpho", &["moderator"]);
    let (_, current) = app.get("/v1/admin/safety-policy", &mpho).await;
    let mut policy = current["policy"].clone();
    for limit in ["per_minute", "per_hour"] {
        policy["rate_limits"][limit] = json!(100_000);
    }
    let (code, saved) = app.save("/v1/admin/safety-policy", &mpho, policy).await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    // A few thousand messages: a small vocabulary, so words recur in many of them.
    let vocabulary = [
        "corolla", "toyota", "bakkie", "polo", "charge", "double", "refund", "card", "price",
        "cash", "pretoria", "durban", "café", "renew", "listing", "photos", "urgent", "thanks",
        "payment", "account",
    ];
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut sent: Vec<(String, String, String)> = Vec::new();
    let mut conversations = Vec::new();
    for c in 0..40 {
        let body = "opening question about my ad";
        conversations.push(
            app.support(&thandi, "general", &format!("{body} {c}"))
                .await,
        );
    }
    for n in 0..2_400 {
        let conversation = &conversations[next() % conversations.len()];
        let words = 3 + next() % 10;
        let body: Vec<&str> = (0..words)
            .map(|_| vocabulary[next() % vocabulary.len()])
            .collect();
        let body = body.join(" ");
        app.clock.advance(chrono::Duration::seconds(30));
        let (code, message) = if n % 3 == 0 {
            app.post_reply(
                &sam,
                conversation,
                json!({"body": body, "status": "pending"}),
            )
            .await
        } else {
            app.post_message(&thandi, conversation, &body).await
        };
        assert_eq!(code, StatusCode::CREATED, "{message}");
        sent.push((
            conversation.clone(),
            message["id"].as_str().unwrap().to_string(),
            body,
        ));
        if n % 200 == 0 {
            app.deliver().await;
        }
    }
    assert!(app.deliver().await.is_empty());
    for q in [
        "corol",
        "double charge",
        "cafe pretoria",
        "ref card cash",
        "\"double charge\"",
        "thanks urgent photos",
        "zebra",
    ] {
        let query = SearchQuery::parse(q).unwrap();
        let mut expected: Vec<(String, Option<String>)> = sent
            .iter()
            .filter(|(_, _, body)| query.matches(body))
            .map(|(c, m, _)| (c.clone(), Some(m.clone())))
            .collect();
        expected.sort();
        let mut found = all_results(&app, "/v1/search", &thandi, q, "&limit=50").await;
        let count = found.len();
        found.sort();
        found.dedup();
        assert_eq!(found.len(), count, "{q}: a result came twice");
        assert_eq!(found, expected, "{q}");
        let mut admins = all_results(&app, "/v1/admin/search", &sam, q, "").await;
        admins.sort();
        assert_eq!(admins, expected, "{q}, for the team");
    }
}

#[tokio::test]
async fn erasure_and_retention_take_words_out_of_the_index() {
    let app = TestApp::in_memory();
    let thandi = app.token_with("u-4821", "Thandi Nkosi", "thandi@example.co.za");
    let bob = app.token("bob", &[]);
    app.listing("L1", "bob", "active").await;
    let support = app
        .support(&thandi, "general", "my secret pangolin question")
        .await;
    let direct = app
        .direct(&thandi, "L1", "is the pangolin lamp available")
        .await;
    let (code, _) = app
        .post_message(&bob, &direct, "yes the aardvark lamp is")
        .await;
    assert_eq!(code, StatusCode::CREATED);
    app.deliver().await;
    assert!(index_terms(&app).iter().any(|t| t.contains("pangolin")));
    assert!(index_terms(&app).iter().any(|t| t.contains("nkosi")));

    let (code, erased) = app
        .call(
            axum::http::Method::DELETE,
            "/v1/me/messages",
            Some(&thandi),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{erased}");
    // Found no more even before the index hears of it, then gone from the index.
    let (_, page) = search(&app, "/v1/search", &thandi, "pangolin", "").await;
    assert_eq!(page["items"], json!([]), "{page}");
    app.deliver().await;
    let terms = index_terms(&app);
    for word in ["pangolin", "secret", "nkosi", "thandi"] {
        assert!(
            !terms.iter().any(|t| t.split(' ').any(|w| w == word)),
            "{word}: {terms:?}"
        );
    }
    // Bob's own words stay his, until retention ends them.
    let (_, page) = search(&app, "/v1/search", &bob, "aardvark", "").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    app.clock.advance(chrono::Duration::days(800));
    let bob = app.token("bob", &[]);
    let (_, page) = search(&app, "/v1/search", &bob, "aardvark", "").await;
    assert_eq!(
        page["items"],
        json!([]),
        "past retention, before TTL removes it"
    );
    let removed = app
        .embedded
        .as_ref()
        .unwrap()
        .remove_expired(app.clock_now().timestamp())
        .await
        .unwrap();
    assert!(removed > 0);
    app.deliver().await;
    assert_eq!(
        index_terms(&app),
        Vec::<String>::new(),
        "every entry gone with its items"
    );
    assert!(!support.is_empty());
}

#[tokio::test]
async fn a_conversation_moved_to_another_team_is_found_by_that_team_only() {
    let app = TestApp::in_memory();
    let thandi = app.token("thandi", &[]);
    let sue = app.token("sue", &["senior"]);
    let id = app.support(&thandi, "general", "my invoice is wrong").await;
    app.deliver().await;
    let support = app.token("sam", &["agent", "team-support"]);
    let billing = app.token("bongi", &["agent", "team-billing"]);
    assert_eq!(
        all_results(&app, "/v1/admin/search", &support, "invoice", "")
            .await
            .len(),
        1
    );
    let (code, moved) = app
        .patch(
            &format!("/v1/admin/conversations/{id}"),
            &sue,
            json!({"team": "billing"}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{moved}");
    // The items decide at once; the index follows.
    assert_eq!(
        all_results(&app, "/v1/admin/search", &support, "invoice", "")
            .await
            .len(),
        0
    );
    app.deliver().await;
    assert_eq!(
        all_results(&app, "/v1/admin/search", &billing, "invoice", "")
            .await
            .len(),
        1
    );
    let team_entries = app
        .embedded
        .as_ref()
        .unwrap()
        .items()
        .into_iter()
        .filter(|i| i["pk"].as_s().unwrap().starts_with("SEARCH#T#support#"))
        .count();
    assert_eq!(team_entries, 0);
}

#[tokio::test]
async fn search_runs_on_dynamodb() {
    use common::store::table::StreamRecord;
    let app = TestApp::on(tests::moto_table().await);
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    let thandi = app.token(&format!("thandi-{unique}"), &[]);
    let id = app
        .support(&thandi, "payment", "a double charge on my Corolla ad")
        .await;
    let (code, _) = app
        .post_message(&thandi, &id, "still charged twice, please refund")
        .await;
    assert_eq!(code, StatusCode::CREATED);
    // The stream's records, as DynamoDB Streams would deliver them: each item, new.
    let conversation = app
        .table
        .get(&common::store::conversation_key(&id), true)
        .await
        .unwrap()
        .unwrap();
    let (_, messages) = app
        .get(&format!("/v1/conversations/{id}/messages"), &thandi)
        .await;
    let mut records = vec![StreamRecord {
        id: format!("{unique}-0"),
        key: common::store::conversation_key(&id),
        old: None,
        new: Some(conversation),
    }];
    for (n, message) in messages["items"].as_array().unwrap().iter().enumerate() {
        let key = common::store::message_key(&id, message["id"].as_str().unwrap());
        let item = app.table.get(&key, true).await.unwrap().unwrap();
        records.push(StreamRecord {
            id: format!("{unique}-{}", n + 1),
            key,
            old: None,
            new: Some(item),
        });
    }
    assert!(app.system.notifier.process(&records).await.is_empty());
    // Processed twice, it indexes nothing twice.
    assert!(app.system.notifier.process(&records).await.is_empty());
    let results = all_results(&app, "/v1/search", &thandi, "charge", "").await;
    assert_eq!(results.len(), 2, "{results:?}");
    let (_, page) = search(&app, "/v1/search", &thandi, "refund", "").await;
    assert_eq!(marked(&page["items"][0]), ["refund"]);
}
