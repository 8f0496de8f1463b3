//! The dev server's demo seeds the month before the current one through the API and the
//! stream, counted from a fixed "now": every section of that month's report has figures,
//! the cost page too, late answers were escalated, and nothing is left waiting for an
//! admin or in the dev server's outbox; today's live demo goes on top as before.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::store::table::embedded::EmbeddedTable;
use local::demo::last_month::SeededMonth;
use serde_json::Value;
use tests::{SECRET, TestApp};

/// A Thursday in December 2026: the seeded month is November.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
        .unwrap()
        .to_utc()
}

/// The system on a fresh table with last month seeded, its clock at [`now`].
async fn seeded() -> (TestApp, SeededMonth) {
    let table = Arc::new(EmbeddedTable::in_memory());
    let app = TestApp::on(table.clone());
    app.clock.set(now());
    let month = local::demo::last_month::seed(table, SECRET, now(), app.system.meter.clone())
        .await
        .unwrap();
    (app, month)
}

fn positive(value: &Value, what: &str) {
    let n = value
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: a number, got {value}"));
    assert!(n > 0.0, "{what}: {n}");
}

fn rows(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap()
}

async fn november_report(app: &TestApp) -> Value {
    let max = app.token("manager-max", &["manager"]);
    let (code, report) = app.get("/v1/admin/reports/2026-11", &max).await;
    assert_eq!(code, StatusCode::OK, "{report}");
    report
}

#[tokio::test]
async fn last_month_has_figures_in_every_section_of_its_report() {
    let (app, month) = seeded().await;
    assert_eq!(month.month, "2026-11");
    let report = november_report(&app).await;

    let headline = &report["headline"];
    for figure in [
        "messages",
        "conversations",
        "first_response_median_minutes",
        "average_response_minutes",
        "resolution_median_minutes",
        "sla_compliance",
        "satisfaction",
        "complaint_resolution_rate",
        "cost",
    ] {
        positive(&headline[figure], figure);
    }
    assert!(headline["nps"].is_number(), "{headline}");
    assert_eq!(report["previous_month"], "2026-10");

    for times in ["first_response", "response", "resolution"] {
        for clock in ["business", "wall_clock"] {
            positive(&report[times][clock]["count"], times);
            positive(&report[times][clock]["median_minutes"], times);
            positive(&report[times][clock]["p90_minutes"], times);
        }
        assert!(report[times]["within_target"].is_number(), "{times}");
    }

    // Some answers were late: below full compliance, and the SLA check escalated them.
    let sla = &report["sla"];
    let compliance = sla["response_compliance"].as_f64().unwrap();
    assert!((0.7..1.0).contains(&compliance), "{sla}");
    positive(&sla["resolutions"], "resolutions");
    assert!(month.escalations > 0, "{month:?}");

    let volumes = &report["volumes"];
    for figure in [
        "messages",
        "user_to_user",
        "user_to_admin",
        "from_users",
        "from_admins",
        "automated",
        "support_conversations",
        "direct_conversations",
    ] {
        positive(&volumes[figure], figure);
    }
    let daily = rows(&volumes["daily"]);
    assert_eq!(daily.len(), 30, "every day of November");
    assert!(
        daily
            .iter()
            .all(|day| day["messages"].as_i64().unwrap() > 0)
    );
    assert!(!rows(&volumes["weekly"]).is_empty());

    // Busier in business hours than at night.
    let heatmap: Vec<Vec<i64>> = serde_json::from_value(report["heatmap"].clone()).unwrap();
    let weekdays_office: i64 = heatmap[..5]
        .iter()
        .map(|d| d[8..17].iter().sum::<i64>())
        .sum();
    let nights: i64 = heatmap.iter().map(|d| d[0..6].iter().sum::<i64>()).sum();
    assert!(weekdays_office > 20 * nights.max(1), "{heatmap:?}");
    let peak = &rows(&report["peak_hours"])[0];
    assert!((8..17).contains(&peak["hour"].as_i64().unwrap()), "{peak}");

    let names = |section: &str| -> Vec<String> {
        rows(&report[section])
            .iter()
            .filter(|row| row["responses"].as_i64().unwrap() > 0)
            .map(|row| row["name"].as_str().unwrap().to_string())
            .collect()
    };
    let agents = names("agents");
    for agent in ["agent-sam", "agent-bongi", "senior-sue", "manager-max"] {
        assert!(agents.contains(&agent.to_string()), "{agents:?}");
    }
    let teams = names("teams");
    for team in ["support", "billing", "technical"] {
        assert!(teams.contains(&team.to_string()), "{teams:?}");
    }
    let categories = names("categories");
    for category in ["general", "payment", "account", "technical", "complaint"] {
        assert!(categories.contains(&category.to_string()), "{categories:?}");
    }
    for row in rows(&report["categories"]) {
        positive(&row["opened"], "opened");
        positive(&row["satisfaction"], "satisfaction");
    }

    let satisfaction = &report["satisfaction"];
    for figure in [
        "ratings",
        "average",
        "csat",
        "clarity",
        "timeliness",
        "helpfulness",
    ] {
        positive(&satisfaction[figure], figure);
    }
    positive(&report["nps"]["answers"], "NPS answers");
    positive(&report["nps"]["promoters"], "promoters");
    positive(&report["complaints"]["received"], "complaints");
    positive(&report["complaints"]["resolved"], "complaints resolved");
    positive(&report["listings"]["active_listings"], "active listings");
    positive(
        &report["listings"]["listings_messaged"],
        "listings messaged",
    );
    positive(&report["cost"]["cost"]["total"], "cost");
    positive(&report["cost"]["per_conversation"], "cost per conversation");

    // The month was served through the metered router: its answers are measured.
    let system = &report["system"];
    positive(&system["answered"], "API answers");
    positive(&system["availability"], "availability");
    positive(&headline["availability"], "availability in the headline");
    positive(&headline["api_p99_ms"], "API latency in the headline");
    let latency = rows(&system["latency"]);
    assert!(
        latency.len() >= 3,
        "every answer and the groups: {latency:?}"
    );
    for group in latency {
        positive(&group["p50_ms"], "p50");
        positive(&group["p99_ms"], "p99");
    }
    assert!(!rows(&system["daily"]).is_empty());
    let functions = rows(&system["functions"]);
    assert!(
        functions
            .iter()
            .any(|f| f["cold_starts"].as_i64() > Some(0)),
        "{functions:?}"
    );
    positive(&system["notifications"]["emails_sent"], "emails sent");
}

#[tokio::test]
async fn last_months_cost_is_metered_by_service_day_category_and_team() {
    let (app, _) = seeded().await;
    let fiona = app.token("finance-fiona", &["finance"]);
    let (code, costs) = app.get("/v1/admin/costs/2026-11", &fiona).await;
    assert_eq!(code, StatusCode::OK, "{costs}");
    for service in [
        "dynamodb_reads",
        "dynamodb_writes",
        "lambda_requests",
        "lambda_compute",
        "api_requests",
        "email",
        "total",
    ] {
        positive(&costs["by_service"][service], service);
    }
    positive(&costs["usage"]["api_requests"], "API requests");
    let daily = rows(&costs["daily"]);
    assert_eq!(daily.len(), 30, "every day of November ran");
    assert!(daily.iter().all(|day| day["total"].as_f64().unwrap() > 0.0));
    assert_eq!(rows(&costs["by_category"]).len(), 5);
    assert!(rows(&costs["by_team"]).len() >= 3);
    for allocation in rows(&costs["by_category"])
        .iter()
        .chain(rows(&costs["by_team"]))
    {
        positive(&allocation["cost"], "allocated cost");
    }
    assert_eq!(
        costs["days_counted"], costs["days_in_month"],
        "a past month"
    );
}

#[tokio::test]
async fn last_month_leaves_nothing_waiting_and_the_live_demo_goes_on_top() {
    let (app, _) = seeded().await;
    let sue = app.token("senior-sue", &["senior"]);
    let queue = |status: &'static str| {
        let path = format!("/v1/admin/conversations?status={status}&limit=100");
        let (app, sue) = (&app, &sue);
        async move {
            let (code, page) = app.get(&path, sue).await;
            assert_eq!(code, StatusCode::OK, "{page}");
            rows(&page["items"]).len()
        }
    };
    assert_eq!(queue("open").await, 0, "every question was answered");
    // Some wait on their users, few enough to leave the console's first page to today.
    let pending = queue("pending").await;
    assert!((1..20).contains(&pending), "{pending} pending");
    assert!(
        app.system.outbox.sent().is_empty(),
        "the month's email and SMS went to its own outbox, not the dev server's"
    );
    // Silent conversations were closed with the team's template: its usage shows.
    let (code, templates) = app
        .get(
            "/v1/admin/templates",
            &app.token("manager-max", &["manager"]),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{templates}");
    let used: Vec<_> = rows(&templates["items"])
        .iter()
        .filter(|t| t["usage_count"].as_i64() > Some(0))
        .collect();
    assert_eq!(used.len(), 1, "{templates}");
    assert_eq!(used[0]["name"], "Closing: no reply from the user");

    // Today's live demo, seeded after it as `serve --demo` does.
    assert!(local::demo::claim(app.table.as_ref()).await.unwrap());
    local::demo::seed(&app.system.app).await.unwrap();
    assert_eq!(
        queue("open").await,
        3,
        "the payment, technical and complaint questions"
    );
    assert!(!local::demo::claim(app.table.as_ref()).await.unwrap());
}

#[tokio::test]
async fn last_month_is_the_same_month_every_time() {
    let ((first, _), (second, _)) = tokio::join!(seeded(), seeded());
    let (first, second) = (
        november_report(&first).await,
        november_report(&second).await,
    );
    // Everything but the cost and the API latency, which include the handlers' measured
    // time.
    for section in [
        "headline",
        "first_response",
        "sla",
        "volumes",
        "heatmap",
        "satisfaction",
        "nps",
    ] {
        let strip = |report: &Value| {
            let mut section = report[section].clone();
            if let Some(headline) = section.as_object_mut() {
                headline.remove("cost");
                headline.remove("api_p99_ms");
            }
            section
        };
        assert_eq!(strip(&first), strip(&second), "{section}");
    }
}
