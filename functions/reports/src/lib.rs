//! `reports`: managers' monthly report (`GET /v1/admin/reports/{month}` as JSON, CSV or
//! HTML), the live dashboard for seniors and managers, the month's cost for finance and
//! managers; and, on an EventBridge schedule on the 1st, last month's report emailed to
//! the managers and kept.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use common::delivery::Mailer;
use common::domain::identity::Access;
use common::http::{Authenticated, Params, Routes};
use common::lambda::{Schedule, scheduled_at};
use common::reporting::{Reports, render};
use common::{App, AppState, HttpResult};
use serde::Deserialize;
use serde_json::Value;

pub fn routes() -> Routes {
    Routes::default()
        .on(
            Method::GET,
            "/v1/admin/reports/{month}",
            Access::Manager,
            monthly_report,
        )
        .on(
            Method::GET,
            "/v1/admin/costs/{month}",
            Access::FinanceOrManager,
            costs,
        )
        .on(
            Method::GET,
            "/v1/admin/dashboard",
            Access::Supervisor,
            dashboard,
        )
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Csv,
    Html,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    #[serde(default)]
    format: Format,
}

async fn monthly_report(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(month): Path<String>,
    Params(query): Params<ReportQuery>,
) -> HttpResult<Response> {
    let report = Reports(&app).monthly_report(&caller, &month).await?;
    Ok(match query.format {
        Format::Json => Json(report).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"saypro-messaging-{}.csv\"",
                        report.month
                    ),
                ),
            ],
            render::csv(&report),
        )
            .into_response(),
        Format::Html => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            render::html(&report),
        )
            .into_response(),
    })
}

async fn costs(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(month): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(Reports(&app).cost_report(&caller, &month).await?))
}

async fn dashboard(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(Reports(&app).dashboard(&caller).await?))
}

/// The monthly schedule: the event's own time decides the month, so a late or replayed
/// run reports the same month.
pub async fn scheduled(app: &App, mailer: &dyn Mailer, event: &Schedule) -> anyhow::Result<Value> {
    let now = scheduled_at(event, app.clock.as_ref());
    let delivered = Reports(app).deliver_monthly_report(now, mailer).await?;
    Ok(serde_json::to_value(delivered)?)
}
