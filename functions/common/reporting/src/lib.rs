//! Reports for managers and finance, read from the daily stats the stream keeps (never
//! from the messages): the monthly report (JSON, CSV or HTML), the live dashboard, the
//! month's cost, and the scheduled delivery of the report on the 1st.

pub mod figures;
pub mod render;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;
use tracing::instrument;

use delivery::{Email, Mailer};
use domain::broadcast::Broadcast;
use domain::directory::AgentProfile;
use domain::directory::Member;
use domain::identity::{Access, Caller, Role, Team};
use domain::pricing::{Cost, PriceTable, Usage};
use domain::report::{self, MonthlyReport, previous_month};
use domain::stats::{self, ACTIVE_LISTINGS, Clock, DailyStats, Dimension, Timing, queue_gauge};
use domain::{Conversation, Status};
use messaging::app::App;
use messaging::error::{ApiError, ApiResult};
use store::keys::role_partition;
use store::table::{Condition, Index, Item, Query, SortKey, TableError, Value, WriteOp, from_item};
use store::{self, BROADCASTS, queue_partition, sortable_time};

/// A month's stats items: 31 days × dimensions, far below this for any team size.
const MAX_STATS_ITEMS: usize = 200_000;
/// Broadcasts a month's report reads at most (a few a month is the norm).
const MAX_BROADCASTS: usize = 10_000;
/// Open conversations read per team for the dashboard's deadlines (soonest due first).
const DASHBOARD_QUEUE_DEPTH: usize = 100;

/// `yyyy-mm` → its first day; a month not yet begun is refused.
pub fn parse_month(text: &str, now: DateTime<Utc>) -> ApiResult<NaiveDate> {
    let first = domain::validate::month("month", text)?;
    let (today, _) = stats::local_day_hour(now);
    if first > today {
        return Err(ApiError::invalid("month: that month has not begun"));
    }
    Ok(first)
}

fn month_text(month: NaiveDate) -> String {
    month.format("%Y-%m").to_string()
}

fn days_in(month: NaiveDate) -> i64 {
    let next = (month + Duration::days(32)).with_day(1).unwrap_or(month);
    (next - month).num_days()
}

/// A report as built, with what building it read.
pub struct Built {
    pub report: MonthlyReport,
    /// Stats items read (the month, the month before, the gauges).
    pub items_read: usize,
}

/// The month's cost (`GET /v1/admin/costs/{month}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CostReport {
    pub month: String,
    /// The price table used (PRICE_TABLE)
    pub prices: PriceTable,
    pub usage: Usage,
    pub by_service: Cost,
    pub daily: Vec<DayCost>,
    pub conversations: i64,
    pub per_conversation: Option<f64>,
    /// Allocated by each one's share of the month's support conversations.
    pub by_category: Vec<Allocation>,
    pub by_team: Vec<Allocation>,
    /// The current month at its pace so far; a past month's actual total.
    pub projected_total: f64,
    pub days_counted: i64,
    pub days_in_month: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayCost {
    pub date: NaiveDate,
    pub total: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Allocation {
    pub name: String,
    pub conversations: i64,
    pub share: f64,
    pub cost: f64,
}

/// The live dashboard (`GET /v1/admin/dashboard`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub generated_at: DateTime<Utc>,
    pub teams: Vec<TeamNow>,
    pub first_responses_today: u64,
    pub first_response_median_minutes_today: Option<f64>,
    /// Agents not away and within their working hours.
    pub agents_on_duty: usize,
    pub agents: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamNow {
    pub team: Team,
    pub open: i64,
    pub pending: i64,
    pub due_within_hour: usize,
    pub breached: usize,
    pub oldest_waiting_since: Option<DateTime<Utc>>,
    pub oldest_waiting_minutes: Option<i64>,
}

/// What the scheduled run did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Delivered {
    pub month: String,
    pub recipients: usize,
    pub already_sent: usize,
}

/// The reports, read through an [`App`]'s table: `Reports(&app).monthly_report(...)`.
pub struct Reports<'a>(pub &'a App);

impl Reports<'_> {
    async fn month_stats(&self, month: NaiveDate) -> ApiResult<(DailyStats, usize)> {
        let partition = store::keys::month_partition(&month_text(month));
        let query = Query::partition(Index::Table, partition);
        let items = store::everything(
            self.0.table.as_ref(),
            query,
            MAX_STATS_ITEMS,
            "the month's statistics",
        )
        .await?;
        let mut daily = DailyStats::default();
        items
            .iter()
            .for_each(|item| store::stats::read_into(&mut daily, item));
        Ok((daily, items.len()))
    }

    async fn gauges(&self) -> ApiResult<Item> {
        Ok(self
            .0
            .table
            .get(&store::keys::stats(&stats::Cell::Gauges), false)
            .await?
            .unwrap_or_default())
    }

    /// The broadcasts created in the month (South African time): one query of their
    /// index partition, by creation time.
    async fn month_broadcasts(&self, month: NaiveDate) -> ApiResult<Vec<Broadcast>> {
        let start = |first: NaiveDate| {
            let midnight = first.and_time(chrono::NaiveTime::MIN);
            sortable_time(
                midnight
                    .and_local_timezone(domain::HOME_TIME_ZONE)
                    .earliest()
                    .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc)),
            )
        };
        let next = (month + Duration::days(32)).with_day(1).unwrap_or(month);
        // Sort keys are `<time>#<id>`: from the month's first instant to the next's.
        let query = Query::partition(Index::Gsi1, BROADCASTS)
            .sort(SortKey::Between(start(month), start(next)));
        let items = store::everything(
            self.0.table.as_ref(),
            query,
            MAX_BROADCASTS,
            "the month's broadcasts",
        )
        .await?;
        Ok(items.into_iter().map(from_item).collect::<Result<_, _>>()?)
    }

    /// Builds a month's report from the stats: two partitions and one item, and the
    /// month's broadcasts, read concurrently, however many messages the month had.
    pub async fn build_report(&self, month: NaiveDate) -> ApiResult<Built> {
        let ((stats, this_read), (previous, previous_read), gauges, broadcasts) = tokio::try_join!(
            self.month_stats(month),
            self.month_stats(previous_month(month)),
            self.gauges(),
            self.month_broadcasts(month),
        )?;
        let active = gauges
            .get(ACTIVE_LISTINGS)
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let mut report = report::build(month, &stats, &previous, active, &self.0.prices);
        report.broadcasts = report::broadcasts(&broadcasts);
        Ok(Built {
            report,
            items_read: this_read + previous_read + 1 + broadcasts.len(),
        })
    }

    /// `GET /v1/admin/reports/{month}`: managers.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn monthly_report(&self, caller: &Caller, month: &str) -> ApiResult<MonthlyReport> {
        Access::Manager.check(caller)?;
        let month = parse_month(month, self.0.clock.now())?;
        Ok(self.build_report(month).await?.report)
    }

    /// `GET /v1/admin/costs/{month}`: finance and managers.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn cost_report(&self, caller: &Caller, month: &str) -> ApiResult<CostReport> {
        let prices = &self.0.prices;
        Access::FinanceOrManager.check(caller)?;
        let now = self.0.clock.now();
        let month = parse_month(month, now)?;
        let (stats, _) = self.month_stats(month).await?;
        let usage = Usage::of(&stats.total(&Dimension::Usage));
        let by_service = prices.cost(&usage);
        let daily: Vec<DayCost> = stats
            .days
            .iter()
            .map(|(date, dimensions)| DayCost {
                date: *date,
                total: dimensions
                    .get(&Dimension::Usage)
                    .map(|f| prices.cost(&Usage::of(f)).total)
                    .unwrap_or_default(),
            })
            .collect();
        let all = stats.total(&Dimension::All);
        let conversations = all.count("opened") + all.count("opened_direct");
        let support = all.count("opened");
        let allocate = |pick: &dyn Fn(&Dimension) -> Option<String>| -> Vec<Allocation> {
            stats
                .dimensions()
                .iter()
                .filter_map(|d| {
                    let name = pick(d)?;
                    let opened = stats.total(d).count("opened");
                    let share = if support > 0 {
                        opened as f64 / support as f64
                    } else {
                        0.0
                    };
                    Some(Allocation {
                        name,
                        conversations: opened,
                        share,
                        cost: by_service.total * share,
                    })
                })
                .collect()
        };
        let by_category = allocate(&|d| match d {
            Dimension::Category(c) => Some(c.as_str().to_string()),
            _ => None,
        });
        let by_team = allocate(&|d| match d {
            Dimension::Team(t) => Some(t.to_string()),
            _ => None,
        });
        let (today, _) = stats::local_day_hour(now);
        let days_in_month = days_in(month);
        let current = today.year() == month.year() && today.month() == month.month();
        let days_counted = if current {
            i64::from(today.day())
        } else {
            days_in_month
        };
        Ok(CostReport {
            month: month_text(month),
            prices: prices.clone(),
            per_conversation: (conversations > 0).then(|| by_service.total / conversations as f64),
            projected_total: by_service.total * days_in_month as f64 / days_counted as f64,
            usage,
            daily,
            conversations,
            by_category,
            by_team,
            by_service,
            days_counted,
            days_in_month,
        })
    }

    /// `GET /v1/admin/dashboard`: seniors and managers.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn dashboard(&self, caller: &Caller) -> ApiResult<Dashboard> {
        Access::Supervisor.check(caller)?;
        let now = self.0.clock.now();
        let (today, _) = stats::local_day_hour(now);
        let today_times = store::keys::stats(&stats::Cell::Day {
            day: today,
            dimension: Dimension::All,
            family: stats::Family::Times,
        });
        let soon = format!("{}~", sortable_time(now + Duration::hours(1)));
        let queues = futures_util::future::try_join_all(Team::ALL.map(|team| {
            let query = Query::partition(Index::Gsi1, queue_partition(team, Status::Open))
                .sort(SortKey::Lt(soon.clone()));
            async move {
                store::page(self.0.table.as_ref(), query, DASHBOARD_QUEUE_DEPTH)
                    .await
                    .map_err(ApiError::from)
            }
        }));
        let (gauges, times, queues, agents) = tokio::try_join!(
            self.gauges(),
            async { Ok(self.0.table.get(&today_times, false).await?) },
            queues,
            self.0.agents(),
        )?;
        let gauge = |name: String| {
            gauges
                .get(&name)
                .and_then(Value::as_i64)
                .unwrap_or_default()
        };
        let mut teams = Vec::new();
        for (team, (items, _)) in Team::ALL.into_iter().zip(queues) {
            let waiting: Vec<Conversation> = items
                .into_iter()
                .map(from_item::<Conversation>)
                .collect::<Result<_, _>>()?;
            let due: Vec<DateTime<Utc>> = waiting.iter().filter_map(Conversation::due).collect();
            let oldest = waiting
                .iter()
                .filter_map(|c| c.sla.as_ref()?.awaiting_since)
                .min();
            teams.push(TeamNow {
                team,
                open: gauge(queue_gauge(team, Status::Open)),
                pending: gauge(queue_gauge(team, Status::Pending)),
                due_within_hour: due.iter().filter(|d| **d >= now).count(),
                breached: due.iter().filter(|d| **d < now).count(),
                oldest_waiting_since: oldest,
                oldest_waiting_minutes: oldest.map(|o| (now - o).num_minutes()),
            });
        }
        let mut today_stats = DailyStats::default();
        if let Some(item) = &times {
            store::stats::read_into(&mut today_stats, item);
        }
        let frt = today_stats
            .total(&Dimension::All)
            .times(Timing::FirstResponse, Clock::Business);
        let on_duty = agents
            .iter()
            .filter(|a: &&AgentProfile| a.on_duty(now))
            .count();
        Ok(Dashboard {
            generated_at: now,
            teams,
            first_responses_today: frt.count,
            first_response_median_minutes_today: frt
                .percentile(50.0)
                .map(|s| (s / 6.0).round() / 10.0),
            agents_on_duty: on_duty,
            agents: agents.len(),
        })
    }

    /// The scheduled run on the 1st: last month's report, kept as a copy and emailed to
    /// every manager once (a retried run sends only what failed).
    pub async fn deliver_monthly_report(
        &self,
        now: DateTime<Utc>,
        mailer: &dyn Mailer,
    ) -> anyhow::Result<Delivered> {
        let (today, _) = stats::local_day_hour(now);
        let month = previous_month(today.with_day(1).unwrap_or(today));
        let label = month_text(month);
        let built = self.build_report(month).await?;
        let html = render::html(&built.report)?;
        let copy = serde_json::json!({
            "month": label,
            "generated_at": now,
            "report": built.report,
        });
        self.0
            .table
            .write(vec![store::record_write(
                &store::keys::monthly_report_key(&label),
                &copy,
                None,
            )?])
            .await?;
        let (managers, _) = store::page(
            self.0.table.as_ref(),
            Query::partition(Index::Table, role_partition(Role::Manager)),
            1_000,
        )
        .await?;
        let mut delivered = Delivered {
            month: label.clone(),
            recipients: 0,
            already_sent: 0,
        };
        for item in managers {
            let manager: Member = from_item(item)?;
            let Some(address) = manager.contact.email.clone() else {
                continue;
            };
            let marker = store::keys::monthly_report_sent_key(&label, &manager.id);
            let sent = serde_json::json!({ "sent_at": now });
            let claim = store::record_write(&marker, &sent, Some(Condition::NotExists))?;
            match self.0.table.write(vec![claim]).await {
                Ok(()) => {}
                Err(TableError::ConditionFailed { .. }) => {
                    delivered.already_sent += 1;
                    continue;
                }
                Err(other) => return Err(other.into()),
            }
            let email = Email {
                to: address,
                subject: format!("SayPro Monthly SCMR-5: messaging report for {label}"),
                html: html.clone(),
                text: format!(
                    "The SayPro messaging report for {label} is in this email's HTML part. It is also at GET /v1/admin/reports/{label}?format=html (or csv, json)."
                ),
                unsubscribe: None,
                broadcast: None,
                reply_to: None,
                auto_submitted: false,
            };
            if let Err(error) = mailer.send(&email).await {
                // Release the claim so the retried run sends it.
                self.0
                    .table
                    .write(vec![WriteOp::Delete {
                        key: marker,
                        condition: None,
                    }])
                    .await?;
                return Err(anyhow::anyhow!(
                    "sending the monthly report failed: {error}"
                ));
            }
            delivered.recipients += 1;
        }
        Ok(delivered)
    }
}
