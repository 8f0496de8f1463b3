//! Reports from the daily stats the stream keeps, checked against a month with known
//! times (an injected clock): five first responses of 2, 5, 9, 31 and 240 minutes;
//! ratings, NPS, complaints and a buyer–seller thread; the HTML's charts are valid SVG;
//! the report reads as many items at 15 messages as at 55. Also the dashboard, the cost
//! report from metered use, the system's availability, latency and cold starts from
//! metered answers (some of them 503s from a table refusing reads), and the monthly
//! delivery to managers.

use axum::http::{Method, StatusCode};
use chrono::{Duration, NaiveDate};
use common::delivery::outbox::Channel;
use common::domain::histogram::RELATIVE_ERROR;
use serde_json::{Value, json};
use tests::TestApp;

const SENIOR: &[&str] = &["senior"];

fn close(actual: &Value, expected: f64, tolerance: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("a number, got {actual}"));
    assert!(
        (actual - expected).abs() <= expected * tolerance + 1e-9,
        "{actual} is not within {tolerance} of {expected}"
    );
}

/// The scenario, on Tuesday 24 November 2026 from 09:00 SAST; returns the app.
async fn month_with_known_times() -> TestApp {
    let app = TestApp::in_memory();
    let start = app.clock_now();
    let sue = app.token("sue", SENIOR);
    let mut conversations = Vec::new();
    for (i, category) in ["general", "complaint", "general", "complaint", "technical"]
        .into_iter()
        .enumerate()
    {
        let user = app.token(&format!("user{i}"), &[]);
        conversations.push(app.support(&user, category, "I need help with my ad").await);
    }
    for (i, minutes) in [2, 5, 9, 31, 240].into_iter().enumerate() {
        app.clock.set(start + Duration::minutes(minutes));
        let (code, reply) = app
            .post(
                &format!("/v1/admin/conversations/{}/replies", conversations[i]),
                &sue,
                json!({"body": "Here is how.", "status": "resolved"}),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{reply}");
    }
    for (i, stars) in [5, 4, 4, 3, 1].into_iter().enumerate() {
        let user = app.token(&format!("user{i}"), &[]);
        let answer = match i {
            0 => json!({"stars": stars, "clarity": 5, "nps": 10}),
            1 => json!({"stars": stars, "clarity": 3, "nps": 3}),
            _ => json!({"stars": stars}),
        };
        let (code, rated) = app
            .post(
                &format!("/v1/conversations/{}/rating", conversations[i]),
                &user,
                answer,
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{rated}");
    }
    app.listing("L1", "seller", "active").await;
    app.listing("L2", "seller", "active").await;
    let buyer = app.token("buyer", &[]);
    let thread = app.direct(&buyer, "L1", "Is it still available?").await;
    let (code, _) = app
        .post(
            &format!("/v1/conversations/{thread}/messages"),
            &buyer,
            json!({"body": "Can I see it today?"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED);
    assert!(app.deliver().await.is_empty());
    app
}

#[tokio::test]
async fn a_month_with_known_times_gives_the_expected_figures() {
    let app = month_with_known_times().await;
    let max = app.token("max", &["manager"]);
    let (code, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(code, StatusCode::OK, "{report}");

    // First responses of 2, 5, 9, 31 and 240 minutes, all on a Tuesday's business time.
    for clock in ["business", "wall_clock"] {
        let frt = &report["first_response"][clock];
        assert_eq!(frt["count"], 5, "{clock}");
        assert_eq!(frt["mean_minutes"], 57.4, "the mean is exact");
        close(&frt["median_minutes"], 9.0, RELATIVE_ERROR);
        close(&frt["p90_minutes"], 240.0, RELATIVE_ERROR);
    }
    assert_eq!(report["first_response"]["target_minutes"], 10);
    assert_eq!(
        report["first_response"]["within_target"], 0.6,
        "2, 5 and 9 minutes"
    );
    assert_eq!(
        report["response"]["within_target"], 0.6,
        "31 and 240 are over 30 minutes"
    );
    assert_eq!(report["resolution"]["business"]["count"], 5);
    assert_eq!(report["resolution"]["within_target"], 1.0);
    assert_eq!(report["sla"]["response_compliance"], 1.0);
    assert_eq!(report["percentile_error"], 0.0488);

    // Satisfaction 5, 4, 4, 3, 1; NPS answers 10 and 3.
    let satisfaction = &report["satisfaction"];
    assert_eq!(satisfaction["ratings"], 5);
    assert_eq!(satisfaction["distribution"], json!([1, 0, 1, 2, 1]));
    assert_eq!(satisfaction["average"], 3.4);
    assert_eq!(satisfaction["csat"], 0.6);
    assert_eq!(satisfaction["clarity"], 4.0);
    assert_eq!(report["nps"]["answers"], 2);
    assert_eq!(report["nps"]["score"], 0.0);

    // Two complaints, both resolved; one of two active listings messaged about.
    assert_eq!(
        report["complaints"],
        json!({"received": 2, "resolved": 2, "resolution_rate": 1.0})
    );
    assert_eq!(report["listings"]["active_listings"], 2);
    assert_eq!(report["listings"]["listings_messaged"], 1);
    assert_eq!(report["listings"]["share_messaged"], 0.5);

    // Volumes: two buyer–seller messages, five replies from the senior.
    let volumes = &report["volumes"];
    assert_eq!(volumes["user_to_user"], 2);
    assert_eq!(volumes["from_admins"], 5);
    assert_eq!(volumes["support_conversations"], 5);
    assert_eq!(volumes["direct_conversations"], 1);
    let tuesday_nine = report["heatmap"][1][9].as_i64().unwrap();
    assert!(
        tuesday_nine >= 9,
        "five questions and four replies at 09:xx: {tuesday_nine}"
    );
    assert_eq!(report["peak_hours"][0]["weekday"], 1);
    assert_eq!(report["peak_hours"][0]["hour"], 9);

    // Per agent and per category.
    let agents = report["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["name"], "sue");
    assert_eq!(agents[0]["responses"], 5);
    assert_eq!(agents[0]["average_response_minutes"], 57.4);
    assert_eq!(agents[0]["satisfaction"], 3.4);
    let complaint = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "complaint")
        .unwrap();
    assert_eq!(complaint["opened"], 2);
    assert_eq!(complaint["satisfaction"], 3.5, "rated 4 and 3");

    // Compared with October, which had nothing.
    assert_eq!(report["previous_month"], "2026-10");
    assert_eq!(report["previous"]["messages"], 0);
    assert_eq!(report["headline"]["conversations"], 6);
}

#[tokio::test]
async fn the_html_report_has_valid_svg_charts_and_the_csv_every_figure() {
    let app = month_with_known_times().await;
    let max = app.token("max", &["manager"]);
    let bearer = format!("Bearer {max}");
    let auth = [("authorization", bearer.as_str())];
    let (code, headers, body) = app
        .raw(
            Method::GET,
            "/v1/admin/reports/2026-11?format=html",
            &auth,
            Vec::new(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("SayPro Monthly SCMR-5: messaging report for 2026-11"));
    let charts: Vec<&str> = html
        .split("<svg")
        .skip(1)
        .map(|rest| &rest[..rest.find("</svg>").unwrap() + "</svg>".len()])
        .collect();
    assert_eq!(charts.len(), 3, "daily volume, heatmap, ratings");
    for chart in charts {
        let svg = format!("<svg{chart}");
        let document = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert!(root.descendants().any(|n| n.has_tag_name("rect")));
    }
    std::fs::create_dir_all("../target").ok();
    std::fs::write("../target/report-2026-11.html", &html).unwrap();

    let (code, headers, body) = app
        .raw(
            Method::GET,
            "/v1/admin/reports/2026-11?format=csv",
            &auth,
            Vec::new(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        headers[axum::http::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("saypro-messaging-2026-11.csv")
    );
    let csv = String::from_utf8(body).unwrap();
    assert!(csv.starts_with("section,name,metric,value\n"));
    assert!(
        csv.contains("\ntimes,first_response,within_target,0.6\n"),
        "{csv}"
    );
    assert!(csv.contains("\nsatisfaction,all,average,3.4\n"));
    assert!(
        csv.lines().all(|line| line.split(',').count() == 4),
        "one figure per row"
    );

    for bad in ["2026-13", "26-11", "2026-11-01", "2027-01"] {
        let (code, error) = app.get(&format!("/v1/admin/reports/{bad}"), &max).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {error}");
    }
    let (code, _) = app.get("/v1/admin/reports/2026-11?format=pdf", &max).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_report_reads_the_same_items_whatever_the_messages() {
    let app = month_with_known_times().await;
    let november = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let before = common::reporting::Reports(&app.system.app)
        .build_report(november)
        .await
        .unwrap();
    let buyer = app.token("buyer", &[]);
    let (_, threads) = app.get("/v1/conversations", &buyer).await;
    let thread = threads["items"][0]["id"].as_str().unwrap().to_string();
    for i in 0..40 {
        // Paced, as a person writes (the abuse filter limits bursts).
        app.clock.advance(Duration::minutes(2));
        let buyer = app.token("buyer", &[]);
        let (code, _) = app
            .post(
                &format!("/v1/conversations/{thread}/messages"),
                &buyer,
                json!({"body": format!("message {i}")}),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED);
    }
    assert!(app.deliver().await.is_empty());
    let after = common::reporting::Reports(&app.system.app)
        .build_report(november)
        .await
        .unwrap();
    assert_eq!(after.report.volumes.user_to_user, 42);
    assert_eq!(after.items_read, before.items_read);
}

#[tokio::test]
async fn a_redelivered_batch_counts_nothing_twice() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    app.support(&alice, "general", "hello").await;
    let records = app.take_records();
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(app.system.notifier.process(&records).await.is_empty());
    let max = app.token("max", &["manager"]);
    let (_, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(report["volumes"]["support_conversations"], 1);
    assert_eq!(report["volumes"]["from_users"], 1);
}

#[tokio::test]
async fn the_dashboard_shows_queues_deadlines_and_today() {
    let app = month_with_known_times().await;
    let sue = app.token("sue", SENIOR);
    let start = app.clock_now();
    // One urgent question (account: 4 hours, any day), one general (24 business hours).
    let alice = app.token("alice", &[]);
    app.support(&alice, "account", "Locked out").await;
    let bob = app.token("bob", &[]);
    let general = app.support(&bob, "general", "How do I edit?").await;
    app.patch(
        &format!("/v1/admin/conversations/{general}"),
        &sue,
        json!({"status": "pending"}),
    )
    .await;
    assert!(app.deliver().await.is_empty());
    // 3.5 hours later the urgent one is due within the hour.
    app.clock.set(start + Duration::minutes(210));
    let sue = app.token("sue", SENIOR);
    let (code, dashboard) = app.get("/v1/admin/dashboard", &sue).await;
    assert_eq!(code, StatusCode::OK, "{dashboard}");
    let teams = dashboard["teams"].as_array().unwrap();
    let total = |field: &str| {
        teams
            .iter()
            .map(|t| t[field].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(total("open"), 1, "{dashboard}");
    assert_eq!(total("pending"), 1);
    assert_eq!(total("due_within_hour"), 1);
    assert_eq!(total("breached"), 0);
    assert_eq!(dashboard["first_responses_today"], 5);
    close(
        &dashboard["first_response_median_minutes_today"],
        9.0,
        RELATIVE_ERROR,
    );
    // Past its deadline it is breached, and has waited 5 hours.
    app.clock.set(start + Duration::minutes(300));
    let sue = app.token("sue", SENIOR);
    let (_, dashboard) = app.get("/v1/admin/dashboard", &sue).await;
    let teams = dashboard["teams"].as_array().unwrap();
    let breached: Vec<&Value> = teams.iter().filter(|t| t["breached"] == 1).collect();
    assert_eq!(breached.len(), 1, "{dashboard}");
    assert_eq!(
        breached[0]["oldest_waiting_minutes"], 300,
        "asked at the start"
    );
    let agent = app.token("sam", &["agent", "team-support"]);
    let (code, _) = app.get("/v1/admin/dashboard", &agent).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn metered_use_becomes_the_month_cost_and_a_projection() {
    let mut app = TestApp::in_memory();
    app.router = app.system.metered_router();
    let alice = app.token("alice", &[]);
    for _ in 0..3 {
        app.support(&alice, "general", "What does it cost?").await;
    }
    assert!(app.deliver().await.is_empty());
    let fiona = app.token("fiona", &["finance"]);
    let (code, costs) = app.get("/v1/admin/costs/2026-11", &fiona).await;
    assert_eq!(code, StatusCode::OK, "{costs}");
    let usage = &costs["usage"];
    assert_eq!(
        usage["api_requests"], 3,
        "the cost request itself is counted after it"
    );
    assert!(usage["write_units"].as_i64().unwrap() > 0);
    assert!(usage["read_units"].as_f64().unwrap() >= 0.0);
    assert_eq!(costs["conversations"], 3);
    assert_eq!(costs["days_counted"], 24);
    assert_eq!(costs["days_in_month"], 30);
    let total = costs["by_service"]["total"].as_f64().unwrap();
    assert!(total > 0.0);
    close(&costs["projected_total"], total * 30.0 / 24.0, 1e-9);
    close(&costs["per_conversation"], total / 3.0, 1e-9);
    assert_eq!(costs["by_category"][0]["name"], "general");
    assert_eq!(costs["by_category"][0]["share"], 1.0);
    assert_eq!(costs["prices"]["currency"], "USD");

    // A past month is not projected beyond its days; the future is refused.
    let (code, _) = app.get("/v1/admin/costs/2026-10", &fiona).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = app.get("/v1/admin/costs/2026-12", &fiona).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let sam = app.token("sam", &["agent", "team-support"]);
    let (code, _) = app.get("/v1/admin/costs/2026-11", &sam).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_monthly_run_emails_managers_once_and_keeps_a_copy() {
    let app = month_with_known_times().await;
    // Managers are in the directory once they have used the admin routes.
    for manager in ["max", "mia"] {
        let token = app.token(manager, &["manager"]);
        let (code, _) = app.get("/v1/admin/conversations", &token).await;
        assert_eq!(code, StatusCode::OK);
    }
    // The schedule's sample event, through the function's handler.
    let event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../events/reports/schedule.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let run = |app: &TestApp| {
        let outbox = app.system.outbox.clone();
        let system = app.system.app.clone();
        let event = event.clone();
        async move {
            reports::scheduled(
                &system,
                outbox.as_ref(),
                &serde_json::from_value(event).unwrap(),
            )
            .await
            .unwrap()
        }
    };
    let delivered = run(&app).await;
    assert_eq!(
        delivered,
        json!({"month": "2026-11", "recipients": 2, "already_sent": 0})
    );
    let again = run(&app).await;
    assert_eq!(
        again,
        json!({"month": "2026-11", "recipients": 0, "already_sent": 2}),
        "a retried run sends nothing twice"
    );
    let reports: Vec<_> = app
        .system
        .outbox
        .sent()
        .into_iter()
        .filter(|s| {
            s.channel == Channel::Email
                && s.subject.as_deref()
                    == Some("SayPro Monthly SCMR-5: messaging report for 2026-11")
        })
        .collect();
    assert_eq!(reports.len(), 2);
    assert!(reports[0].html.as_deref().unwrap().contains("<svg"));
    let copy = app
        .table
        .get(
            &common::store::table::Key::new("MONTHLY#2026-11", "REPORT"),
            true,
        )
        .await
        .unwrap()
        .expect("a kept copy");
    assert!(copy.contains_key("report"));
}

#[tokio::test]
async fn a_batch_counts_each_record_once_even_when_some_were_counted_before() {
    let app = TestApp::in_memory();
    app.listing("L1", "seller", "active").await;
    for buyer in ["b1", "b2", "b3"] {
        let token = app.token(buyer, &[]);
        app.direct(&token, "L1", "Still available?").await;
    }
    let records = app.take_records();
    let half = records.len() / 2;
    // The first half was counted, then the whole batch redelivered, twice.
    assert!(
        app.system
            .notifier
            .process(&records[..half])
            .await
            .is_empty()
    );
    assert!(app.system.notifier.process(&records).await.is_empty());
    assert!(app.system.notifier.process(&records).await.is_empty());
    let max = app.token("max", &["manager"]);
    let (_, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(report["volumes"]["direct_conversations"], 3);
    assert_eq!(report["volumes"]["user_to_user"], 3);
    assert_eq!(
        report["listings"]["listings_messaged"], 1,
        "one listing, three buyers in one batch"
    );
}

/// The counting transaction on DynamoDB (moto): claims, `ADD`s on several items, and a
/// redelivered record left out by its claim's condition.
#[tokio::test]
async fn stats_are_counted_once_on_dynamodb() {
    use common::store::conversation_key;
    use common::store::table::{Key, StreamRecord};

    let app = TestApp::on(tests::moto_table().await);
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    let agent = format!("agent-{unique}");
    let user = app.token(&format!("user-{unique}"), &[]);
    let id = app.support(&user, "general", "How do I renew?").await;
    let key = conversation_key(&id);
    let before = app.table.get(&key, true).await.unwrap();
    app.clock.advance(Duration::minutes(7));
    let (code, reply) = app
        .post(
            &format!("/v1/admin/conversations/{id}/replies"),
            &app.token(&agent, &["agent", "team-support"]),
            json!({"body": "Open My Ads.", "status": "resolved"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{reply}");
    let after = app.table.get(&key, true).await.unwrap();
    let record = |n: &str| StreamRecord {
        id: format!("{unique}-{n}"),
        key: key.clone(),
        old: before.clone(),
        new: after.clone(),
    };
    let notifier = &app.system.notifier;
    assert!(notifier.process(&[record("1")]).await.is_empty());
    assert!(
        notifier
            .process(&[record("1"), record("2")])
            .await
            .is_empty()
    );
    let day = app.clock_now().format("%Y-%m-%d");
    let month = app.clock_now().format("%Y-%m");
    let item = |suffix: &str| {
        let key = Key::new(
            format!("STATS#{month}"),
            format!("{day}#AGENT#{agent}{suffix}"),
        );
        let table = app.table.clone();
        async move {
            table
                .get(&key, true)
                .await
                .unwrap()
                .expect("the agent's stats")
        }
    };
    let counts = item("").await;
    let number = |item: &common::store::table::Item, name: &str| item[name].as_i64().unwrap();
    assert_eq!(
        number(&counts, "frt_n"),
        2,
        "records 1 and 2, the redelivered 1 left out"
    );
    assert_eq!(number(&counts, "frt_met"), 2);
    assert_eq!(number(&counts, "resolved"), 2);
    let times = item("#times").await;
    assert_eq!(number(&times, "frt_b_sum"), 2 * 420);
}

/// An embedded table whose queries fail while `down` is set, as if DynamoDB were
/// throttling reads: a route that reads a partition answers 503. Writes go through, so
/// the metering of those answers is written.
struct FlakyReads {
    inner: common::store::table::embedded::EmbeddedTable,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl common::store::table::Table for FlakyReads {
    async fn get(
        &self,
        key: &common::store::table::Key,
        consistent: bool,
    ) -> Result<Option<common::store::table::Item>, common::store::table::TableError> {
        self.inner.get(key, consistent).await
    }
    async fn query(
        &self,
        query: &common::store::table::Query,
    ) -> Result<common::store::table::Page, common::store::table::TableError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(common::store::table::TableError::Unavailable(
                anyhow::anyhow!("throttled"),
            ));
        }
        self.inner.query(query).await
    }
    async fn write(
        &self,
        ops: Vec<common::store::table::WriteOp>,
    ) -> Result<(), common::store::table::TableError> {
        self.inner.write(ops).await
    }
    fn metrics(&self) -> &common::store::table::TableMetrics {
        self.inner.metrics()
    }
}

#[tokio::test]
async fn metered_answers_give_availability_latency_and_cold_starts() {
    let table = std::sync::Arc::new(FlakyReads {
        inner: common::store::table::embedded::EmbeddedTable::in_memory(),
        down: false.into(),
    });
    let mut app = TestApp::on(table.clone());
    app.router = app.system.metered_router();
    let alice = app.token("alice", &[]);
    // Ten requests for the inbox; three while reads fail.
    let (n, k) = (10, 3);
    for i in 0..n {
        table.down.store(i < k, std::sync::atomic::Ordering::SeqCst);
        let (code, body) = app.get("/v1/conversations", &alice).await;
        let expected = if i < k {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        assert_eq!(code, expected, "{body}");
    }
    let max = app.token("max", &["manager"]);
    let (code, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    let system = &report["system"];
    assert_eq!(
        system["answered"], n,
        "the report's own request counts after it"
    );
    assert_eq!(system["server_errors"], k);
    close(&system["availability"], 0.7, 1e-9);
    close(&report["headline"]["availability"], 0.7, 1e-9);
    let today = &system["daily"][0];
    assert_eq!(today["date"], "2026-11-24");
    assert_eq!(
        (&today["answered"], &today["server_errors"]),
        (&json!(n), &json!(k))
    );
    close(&today["availability"], 0.7, 1e-9);
    let latency = system["latency"].as_array().unwrap();
    assert_eq!(latency[0]["group"], "all");
    assert_eq!(latency[1]["group"], "users");
    assert_eq!(latency[1]["answered"], n);
    for figure in ["p50_ms", "p99_ms"] {
        assert!(latency[1][figure].as_f64().unwrap() > 0.0, "{latency:?}");
    }
    let local = &system["functions"][0];
    assert_eq!(local["function"], "local");
    assert_eq!(local["server_errors"], k);
    assert_eq!(
        local["cold_starts"], 1,
        "the first invocation of the instance"
    );
    assert_eq!(local["invocations"], n);

    // The report's own request is in the next one, in its group; still one cold start.
    let (_, again) = app.get("/v1/admin/reports/2026-11", &max).await;
    let groups: Vec<&str> = again["system"]["latency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["all", "users", "reports"]);
    assert_eq!(again["system"]["functions"][0]["cold_starts"], 1);
    close(&again["system"]["availability"], 8.0 / 11.0, 1e-5);

    let bearer = format!("Bearer {max}");
    let (code, _, body) = app
        .raw(
            Method::GET,
            "/v1/admin/reports/2026-11?format=csv",
            &[("authorization", bearer.as_str())],
            Vec::new(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let csv = String::from_utf8(body).unwrap();
    assert!(
        csv.contains("\navailability,2026-11-24,server_errors,3\n"),
        "{csv}"
    );
    assert!(csv.contains("\nfunctions,local,cold_starts,1\n"), "{csv}");
}
