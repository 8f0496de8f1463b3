//! `reports`: managers' monthly report (`GET /v1/admin/reports/{month}` as JSON, CSV or
//! HTML), the live dashboard for seniors and managers, the month's cost for finance and
//! managers; and, on an EventBridge schedule on the 1st, last month's report emailed to
//! the managers and kept.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use common::delivery::Mailer;
use common::domain::identity::Access;
use common::domain::report::MonthlyReport;
use common::http::{Authenticated, Params, Routes};
use common::lambda::{Schedule, scheduled_at};
use common::reporting::CostReport;
use common::reporting::Dashboard;
use common::reporting::{Reports, render};
use common::route;
use common::{ApiError, App, AppState, HttpResult};
use serde::Deserialize;

use serde_json::Value;

pub fn routes() -> Routes {
    Routes::default()
        .on(Access::Manager, route!(monthly_report))
        .on(Access::FinanceOrManager, route!(costs))
        .on(Access::Supervisor, route!(dashboard))
}

pub fn router(state: AppState) -> axum::Router {
    routes().into_router(state)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Csv,
    Html,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

/// Managers: the month's SCMR-5 report from the daily stats, compared with the month before.
#[utoipa::path(
    get,
    path = "/v1/admin/reports/{month}",
    operation_id = "monthlyReport",
    tag = "reports",
    params(("month" = String, Path, description = "A month as yyyy-mm, not in the future"), ReportQuery),
    responses(
        (status = 200, description = "The report: JSON, CSV (section,name,metric,value) or HTML with SVG charts", content((MonthlyReport = "application/json"), (String = "text/csv"), (String = "text/html"))),
    )
)]
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
            render::html(&report).map_err(ApiError::from)?,
        )
            .into_response(),
    })
}

/// Finance and managers: the month's metered use priced by the price table, per service, day, conversation, category and team, with a projection.
#[utoipa::path(
    get,
    path = "/v1/admin/costs/{month}",
    operation_id = "monthlyCost",
    tag = "reports",
    params(("month" = String, Path, description = "A month as yyyy-mm, not in the future")),
    responses(
        (status = 200, description = "The cost", body = CostReport),
    )
)]
async fn costs(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(month): Path<String>,
) -> HttpResult<impl IntoResponse> {
    Ok(Json(Reports(&app).cost_report(&caller, &month).await?))
}

/// Seniors and managers: open and pending per team, due within the hour, breached, oldest waiting, today's first responses, agents on duty.
#[utoipa::path(
    get,
    path = "/v1/admin/dashboard",
    operation_id = "dashboard",
    tag = "reports",
    responses(
        (status = 200, description = "Now", body = Dashboard),
    )
)]
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
