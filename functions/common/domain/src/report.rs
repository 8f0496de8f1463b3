//! The monthly report (SCMR-5), computed from a month's daily stats and the month
//! before: response times against the targets, SLA compliance, volumes, peak hours,
//! per-agent, per-team and per-category tables, satisfaction, NPS, complaints, listing
//! coverage, cost, and the system's performance (availability, latency, errors, cold
//! starts, notifications) from the functions' own metering. Pure: the stats are read
//! elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::broadcast::{Broadcast, BroadcastStatus};
use super::histogram::{Histogram, RELATIVE_ERROR};
use super::pricing::{self, Cost, PriceTable, Usage};
use super::stats::{Clock, DailyStats, Dimension, Figures, Timing};
use super::survey::net_promoter_score;
use super::system::{self, RouteGroup, parse_latency_meter};

/// Mean, median and 90th percentile of one kind of time, in minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Times {
    pub count: u64,
    pub mean_minutes: Option<f64>,
    pub median_minutes: Option<f64>,
    pub p90_minutes: Option<f64>,
}

impl Times {
    fn of(histogram: &Histogram) -> Self {
        let minutes = |s: Option<f64>| s.map(|s| round(s / 60.0, 1));
        Self {
            count: histogram.count,
            mean_minutes: minutes(histogram.mean()),
            median_minutes: minutes(histogram.percentile(50.0)),
            p90_minutes: minutes(histogram.percentile(90.0)),
        }
    }
}

/// One time (first response, response, resolution) in business and wall-clock time,
/// against its target (counted in business time).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimeFigures {
    pub target_minutes: i64,
    pub business: Times,
    pub wall_clock: Times,
    /// The share within the target (exact, counted as each time was recorded).
    pub within_target: Option<f64>,
}

impl TimeFigures {
    fn of(figures: &Figures, timing: Timing) -> Self {
        let prefix = timing.prefix();
        Self {
            target_minutes: timing.target().num_minutes(),
            business: Times::of(&figures.times(timing, Clock::Business)),
            wall_clock: Times::of(&figures.times(timing, Clock::Wall)),
            within_target: share(
                figures.count(&format!("{prefix}_met")),
                figures.count(&format!("{prefix}_n")),
            ),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Compliance {
    pub responses: i64,
    pub responses_on_time: i64,
    pub response_compliance: Option<f64>,
    pub resolutions: i64,
    pub resolutions_on_time: i64,
    pub resolution_compliance: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayVolume {
    pub date: NaiveDate,
    pub messages: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Volumes {
    pub messages: i64,
    /// Buyers and sellers writing to each other.
    pub user_to_user: i64,
    /// Users and the admin team.
    pub user_to_admin: i64,
    pub from_users: i64,
    pub from_admins: i64,
    pub automated: i64,
    pub support_conversations: i64,
    pub direct_conversations: i64,
    pub daily: Vec<DayVolume>,
    /// Weeks starting on Monday (the first may start before the month).
    pub weekly: Vec<DayVolume>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PeakHour {
    /// Monday = 0.
    pub weekday: u32,
    pub hour: u32,
    pub messages: i64,
}

/// One row of the per-agent, per-team and per-category tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ReportRow)]
pub struct Row {
    pub name: String,
    pub opened: i64,
    pub responses: i64,
    pub first_response_median_minutes: Option<f64>,
    pub average_response_minutes: Option<f64>,
    pub resolved: i64,
    pub sla_compliance: Option<f64>,
    pub ratings: i64,
    pub satisfaction: Option<f64>,
}

impl Row {
    fn of(name: String, figures: &Figures) -> Self {
        let business = |timing| figures.times(timing, Clock::Business);
        let minutes = |s: Option<f64>| s.map(|s| round(s / 60.0, 1));
        Self {
            name,
            opened: figures.count("opened"),
            responses: figures.count("art_n"),
            first_response_median_minutes: minutes(
                business(Timing::FirstResponse).percentile(50.0),
            ),
            average_response_minutes: minutes(business(Timing::Response).mean()),
            resolved: figures.count("resolved"),
            sla_compliance: share(
                figures.count("sla_met"),
                figures.count("sla_met") + figures.count("sla_missed"),
            ),
            ratings: figures.count("csat_n"),
            satisfaction: average(figures.count("csat_sum"), figures.count("csat_n")),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Satisfaction {
    pub ratings: i64,
    /// Ratings of 1 to 5 stars.
    pub distribution: [i64; 5],
    pub average: Option<f64>,
    /// CSAT: the share of 4- and 5-star ratings.
    pub csat: Option<f64>,
    pub clarity: Option<f64>,
    pub timeliness: Option<f64>,
    pub helpfulness: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Nps {
    pub answers: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    /// −100 to 100.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Complaints {
    pub received: i64,
    pub resolved: i64,
    pub resolution_rate: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ListingCoverage {
    /// Active listings registered for messaging now.
    pub active_listings: i64,
    /// Listings buyers wrote to the seller about this month.
    pub listings_messaged: i64,
    pub share_messaged: Option<f64>,
}

/// How one broadcast was received: counted per recipient as it happens, so a broadcast
/// of the month shows its figures up to when the report was built.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BroadcastFigures {
    pub id: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub status: BroadcastStatus,
    /// Recipients the fan-out wrote it for.
    pub recipients: i64,
    pub delivered: i64,
    pub read: i64,
    pub replied: i64,
    pub bounced: i64,
    /// `read`, `replied` and `bounced` as shares of `delivered`.
    pub read_rate: Option<f64>,
    pub reply_rate: Option<f64>,
    pub bounce_rate: Option<f64>,
}

/// The broadcasts sent in the month (created in it, South African time), and their sum.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BroadcastSummary {
    pub broadcasts: i64,
    pub recipients: i64,
    pub delivered: i64,
    pub read: i64,
    pub replied: i64,
    pub bounced: i64,
    pub read_rate: Option<f64>,
    pub reply_rate: Option<f64>,
    pub bounce_rate: Option<f64>,
    /// Oldest first.
    pub items: Vec<BroadcastFigures>,
}

/// The broadcasts section of a report, from the month's broadcasts.
pub fn broadcasts(sent: &[Broadcast]) -> BroadcastSummary {
    let items: Vec<BroadcastFigures> = sent
        .iter()
        .map(|b| {
            let delivered = i64::from(b.delivered);
            BroadcastFigures {
                id: b.id.clone(),
                subject: b.subject.clone(),
                created_at: b.created_at,
                status: b.status,
                recipients: i64::from(b.sent),
                delivered,
                read: i64::from(b.read),
                replied: i64::from(b.replied),
                bounced: i64::from(b.bounced),
                read_rate: share(i64::from(b.read), delivered),
                reply_rate: share(i64::from(b.replied), delivered),
                bounce_rate: share(i64::from(b.bounced), delivered),
            }
        })
        .collect();
    let sum = |f: fn(&BroadcastFigures) -> i64| items.iter().map(f).sum::<i64>();
    let delivered = sum(|b| b.delivered);
    let (read, replied, bounced) = (sum(|b| b.read), sum(|b| b.replied), sum(|b| b.bounced));
    BroadcastSummary {
        broadcasts: items.len() as i64,
        recipients: sum(|b| b.recipients),
        delivered,
        read,
        replied,
        bounced,
        read_rate: share(read, delivered),
        reply_rate: share(replied, delivered),
        bounce_rate: share(bounced, delivered),
        items,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CostSummary {
    pub price_source: String,
    pub currency: String,
    pub usage: Usage,
    pub cost: Cost,
    pub per_conversation: Option<f64>,
}

/// One day's API answers and the share without a 5xx.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayAvailability {
    pub date: NaiveDate,
    pub answered: i64,
    pub server_errors: i64,
    pub availability: Option<f64>,
}

/// Latency of one route group's answers (or of all, `all`), in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GroupLatency {
    /// `users`, `admins`, `website`, `reports` (by the path's prefix), or `all`.
    pub group: String,
    pub answered: i64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// One function's errors and cold starts (locally, the dev server is one function).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunctionHealth {
    pub function: String,
    pub invocations: i64,
    /// API answers with a 5xx status.
    pub server_errors: i64,
    /// Invocations that returned an error to the runtime (stream and schedule events).
    pub failed_invocations: i64,
    /// First invocations of an instance.
    pub cold_starts: i64,
}

/// What the notifier sent and could not send.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NotificationFigures {
    pub emails_sent: i64,
    pub emails_failed: i64,
    pub sms_sent: i64,
    pub sms_failed: i64,
    pub webhook_posts: i64,
    /// Posts answered with other than 2xx, or not at all: each retried on the schedule
    /// until its attempts run out.
    pub webhook_posts_failed: i64,
}

/// The system's performance, from the functions' own metering: availability (the
/// share of API answers without a 5xx), latency by route group, errors and cold starts
/// by function, notifications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SystemFigures {
    pub answered: i64,
    pub server_errors: i64,
    pub availability: Option<f64>,
    pub daily: Vec<DayAvailability>,
    /// Every answer (`all`), then each route group with answers.
    pub latency: Vec<GroupLatency>,
    pub functions: Vec<FunctionHealth>,
    pub notifications: NotificationFigures,
}

/// The figures compared month on month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Headline {
    pub messages: i64,
    pub conversations: i64,
    pub first_response_median_minutes: Option<f64>,
    pub average_response_minutes: Option<f64>,
    pub resolution_median_minutes: Option<f64>,
    pub sla_compliance: Option<f64>,
    pub satisfaction: Option<f64>,
    pub nps: Option<f64>,
    pub complaint_resolution_rate: Option<f64>,
    pub cost: Option<f64>,
    /// The share of API answers without a 5xx.
    pub availability: Option<f64>,
    /// Every API answer's 99th percentile latency.
    pub api_p99_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MonthlyReport {
    pub month: String,
    pub previous_month: String,
    /// Percentiles are read from histograms: each is within this share of the exact one.
    pub percentile_error: f64,
    pub headline: Headline,
    pub previous: Headline,
    pub first_response: TimeFigures,
    pub response: TimeFigures,
    pub resolution: TimeFigures,
    pub sla: Compliance,
    pub volumes: Volumes,
    /// Messages by weekday (Monday first) and hour, South African time.
    #[schema(max_items = 7, min_items = 7)]
    pub heatmap: [[i64; 24]; 7],
    pub peak_hours: Vec<PeakHour>,
    pub agents: Vec<Row>,
    pub teams: Vec<Row>,
    pub categories: Vec<Row>,
    pub satisfaction: Satisfaction,
    pub nps: Nps,
    pub complaints: Complaints,
    pub listings: ListingCoverage,
    pub cost: CostSummary,
    pub system: SystemFigures,
    /// The broadcasts of the month and how they were received (built beside the stats:
    /// see [`broadcasts`]).
    pub broadcasts: BroadcastSummary,
}

fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, 4))
}

fn average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| round(sum as f64 / count as f64, 2))
}

/// `yyyy-mm` of the month before.
pub fn previous_month(month: NaiveDate) -> NaiveDate {
    (month - Duration::days(1)).with_day(1).unwrap_or(month)
}

fn satisfaction(all: &Figures) -> Satisfaction {
    let ratings = all.count("csat_n");
    let distribution = [1, 2, 3, 4, 5].map(|stars| all.count(&format!("csat_{stars}")));
    Satisfaction {
        ratings,
        distribution,
        average: average(all.count("csat_sum"), ratings),
        csat: share(distribution[3] + distribution[4], ratings),
        clarity: average(all.count("clarity_sum"), all.count("clarity_n")),
        timeliness: average(all.count("timeliness_sum"), all.count("timeliness_n")),
        helpfulness: average(all.count("helpfulness_sum"), all.count("helpfulness_n")),
    }
}

fn nps(all: &Figures) -> Nps {
    let counts: [i64; 11] = std::array::from_fn(|score| all.count(&format!("nps_{score:02}")));
    Nps {
        answers: counts.iter().sum(),
        promoters: counts[9..].iter().sum(),
        passives: counts[7..9].iter().sum(),
        detractors: counts[..7].iter().sum(),
        score: net_promoter_score(&counts).map(|s| round(s, 1)),
    }
}

fn compliance(all: &Figures) -> Compliance {
    let (met, missed) = (all.count("sla_met"), all.count("sla_missed"));
    let (resolved_met, resolved_missed) =
        (all.count("resolution_met"), all.count("resolution_missed"));
    Compliance {
        responses: met + missed,
        responses_on_time: met,
        response_compliance: share(met, met + missed),
        resolutions: resolved_met + resolved_missed,
        resolutions_on_time: resolved_met,
        resolution_compliance: share(resolved_met, resolved_met + resolved_missed),
    }
}

fn complaints(stats: &DailyStats) -> Complaints {
    let complaint = stats.total(&Dimension::Category(super::Category::Complaint));
    let (received, resolved) = (complaint.count("opened"), complaint.count("resolved"));
    Complaints {
        received,
        resolved,
        resolution_rate: share(resolved, received),
    }
}

fn cost_summary(stats: &DailyStats, prices: &PriceTable) -> CostSummary {
    let usage = Usage::of(&stats.total(&Dimension::Usage));
    let cost = prices.cost(&usage);
    let all = stats.total(&Dimension::All);
    let conversations = all.count("opened") + all.count("opened_direct");
    CostSummary {
        price_source: prices.source.clone(),
        currency: prices.currency.clone(),
        per_conversation: (conversations > 0).then(|| cost.total / conversations as f64),
        usage,
        cost,
    }
}

fn sum_prefixed(figures: &Figures, prefix: &str) -> i64 {
    figures
        .counts
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, n)| n)
        .sum()
}

/// Answers by route group, as latency histograms (milliseconds).
fn latencies(usage: &Figures) -> BTreeMap<RouteGroup, Histogram> {
    let mut groups: BTreeMap<RouteGroup, Histogram> = BTreeMap::new();
    for (name, n) in &usage.counts {
        if let Some((group, bucket)) = parse_latency_meter(name) {
            let histogram = groups.entry(group).or_default();
            let n = (*n).max(0).unsigned_abs();
            *histogram.buckets.entry(bucket).or_default() += n;
            histogram.count += n;
        }
    }
    groups
}

/// Answers and 5xx answers in a day's (or the month's) usage.
fn answers(usage: &Figures) -> (i64, i64) {
    let answered = latencies(usage).values().map(|h| h.count as i64).sum();
    (answered, sum_prefixed(usage, system::meter::SERVER_ERRORS))
}

fn availability(answered: i64, errors: i64) -> Option<f64> {
    (answered > 0).then(|| round((answered - errors) as f64 / answered as f64, 6))
}

fn group_latency(group: &str, histogram: &Histogram) -> GroupLatency {
    GroupLatency {
        group: group.into(),
        answered: histogram.count as i64,
        p50_ms: histogram.percentile(50.0).map(|ms| round(ms, 1)),
        p99_ms: histogram.percentile(99.0).map(|ms| round(ms, 1)),
    }
}

fn system_figures(stats: &DailyStats) -> SystemFigures {
    use system::meter;
    let usage = stats.total(&Dimension::Usage);
    let (answered, server_errors) = answers(&usage);
    let daily = stats
        .days
        .iter()
        .filter_map(|(date, dimensions)| {
            let (answered, server_errors) = answers(dimensions.get(&Dimension::Usage)?);
            Some(DayAvailability {
                date: *date,
                answered,
                server_errors,
                availability: availability(answered, server_errors),
            })
        })
        .collect();
    let groups = latencies(&usage);
    let mut all = Histogram::default();
    groups.values().for_each(|h| all.merge(h));
    let mut latency = vec![group_latency("all", &all)];
    latency.extend(groups.iter().map(|(g, h)| group_latency(g.as_str(), h)));
    let prefixes = [
        pricing::meter::INVOCATIONS,
        meter::SERVER_ERRORS,
        meter::FAILED,
        meter::COLD_STARTS,
    ];
    let names: BTreeSet<&str> = usage
        .counts
        .keys()
        .filter_map(|name| prefixes.iter().find_map(|p| name.strip_prefix(p)))
        .collect();
    let functions = names
        .into_iter()
        .map(|function| {
            let count = |prefix: &str| usage.count(&format!("{prefix}{function}"));
            FunctionHealth {
                function: function.to_string(),
                invocations: count(pricing::meter::INVOCATIONS),
                server_errors: count(meter::SERVER_ERRORS),
                failed_invocations: count(meter::FAILED),
                cold_starts: count(meter::COLD_STARTS),
            }
        })
        .collect();
    SystemFigures {
        answered,
        server_errors,
        availability: availability(answered, server_errors),
        daily,
        latency,
        functions,
        notifications: NotificationFigures {
            emails_sent: usage.count(pricing::meter::EMAILS),
            emails_failed: usage.count(meter::EMAILS_FAILED),
            sms_sent: usage.count(meter::SMS_SENT),
            sms_failed: usage.count(meter::SMS_FAILED),
            webhook_posts: usage.count(meter::WEBHOOK_POSTS),
            webhook_posts_failed: usage.count(meter::WEBHOOK_POSTS_FAILED),
        },
    }
}

fn headline(stats: &DailyStats, prices: &PriceTable) -> Headline {
    let all = stats.total(&Dimension::All);
    let business = |timing| all.times(timing, Clock::Business);
    let minutes = |s: Option<f64>| s.map(|s| round(s / 60.0, 1));
    let system = system_figures(stats);
    Headline {
        messages: all.count("messages"),
        conversations: all.count("opened") + all.count("opened_direct"),
        first_response_median_minutes: minutes(business(Timing::FirstResponse).percentile(50.0)),
        average_response_minutes: minutes(business(Timing::Response).mean()),
        resolution_median_minutes: minutes(business(Timing::Resolution).percentile(50.0)),
        sla_compliance: compliance(&all).response_compliance,
        satisfaction: satisfaction(&all).average,
        nps: nps(&all).score,
        complaint_resolution_rate: complaints(stats).resolution_rate,
        cost: Some(cost_summary(stats, prices).cost.total),
        availability: system.availability,
        api_p99_ms: system.latency.first().and_then(|all| all.p99_ms),
    }
}

fn volumes(stats: &DailyStats, all: &Figures) -> Volumes {
    let daily: Vec<DayVolume> = stats
        .days
        .iter()
        .map(|(date, dimensions)| DayVolume {
            date: *date,
            messages: dimensions
                .get(&Dimension::All)
                .map(|f| f.count("messages"))
                .unwrap_or_default(),
        })
        .collect();
    let mut weekly: Vec<DayVolume> = Vec::new();
    for day in &daily {
        let monday =
            day.date - Duration::days(i64::from(day.date.weekday().num_days_from_monday()));
        match weekly.last_mut() {
            Some(week) if week.date == monday => week.messages += day.messages,
            _ => weekly.push(DayVolume {
                date: monday,
                messages: day.messages,
            }),
        }
    }
    Volumes {
        messages: all.count("messages"),
        user_to_user: all.count("messages_direct"),
        user_to_admin: all.count("messages_support"),
        from_users: all.count("messages_from_user"),
        from_admins: all.count("messages_from_admin"),
        automated: all.count("messages_from_system"),
        support_conversations: all.count("opened"),
        direct_conversations: all.count("opened_direct"),
        daily,
        weekly,
    }
}

fn rows(stats: &DailyStats, pick: impl Fn(&Dimension) -> Option<String>) -> Vec<Row> {
    let mut rows: Vec<Row> = stats
        .dimensions()
        .iter()
        .filter_map(|d| Some(Row::of(pick(d)?, &stats.total(d))))
        .collect();
    rows.sort_by(|a, b| b.responses.cmp(&a.responses).then(a.name.cmp(&b.name)));
    rows
}

/// Builds the report of `month` (its first day) from its stats and the month before's,
/// with the number of active listings now.
pub fn build(
    month: NaiveDate,
    stats: &DailyStats,
    previous: &DailyStats,
    active_listings: i64,
    prices: &PriceTable,
) -> MonthlyReport {
    let all = stats.total(&Dimension::All);
    let heatmap = stats.heatmap();
    let mut peak_hours: Vec<PeakHour> = (0..7u32)
        .flat_map(|weekday| (0..24u32).map(move |hour| (weekday, hour)))
        .map(|(weekday, hour)| PeakHour {
            weekday,
            hour,
            messages: heatmap[weekday as usize][hour as usize],
        })
        .filter(|p| p.messages > 0)
        .collect();
    peak_hours.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then((a.weekday, a.hour).cmp(&(b.weekday, b.hour)))
    });
    peak_hours.truncate(5);
    let listings_messaged = all.count("listings_engaged");
    MonthlyReport {
        month: month.format("%Y-%m").to_string(),
        previous_month: previous_month(month).format("%Y-%m").to_string(),
        percentile_error: round(RELATIVE_ERROR, 4),
        headline: headline(stats, prices),
        previous: headline(previous, prices),
        first_response: TimeFigures::of(&all, Timing::FirstResponse),
        response: TimeFigures::of(&all, Timing::Response),
        resolution: TimeFigures::of(&all, Timing::Resolution),
        sla: compliance(&all),
        volumes: volumes(stats, &all),
        heatmap,
        peak_hours,
        agents: rows(stats, |d| match d {
            Dimension::Agent(id) => Some(id.clone()),
            _ => None,
        }),
        teams: rows(stats, |d| match d {
            Dimension::Team(team) => Some(team.to_string()),
            _ => None,
        }),
        categories: rows(stats, |d| match d {
            Dimension::Category(category) => Some(category.as_str().to_string()),
            _ => None,
        }),
        satisfaction: satisfaction(&all),
        nps: nps(&all),
        complaints: complaints(stats),
        listings: ListingCoverage {
            active_listings,
            listings_messaged,
            share_messaged: share(listings_messaged, active_listings),
        },
        cost: cost_summary(stats, prices),
        system: system_figures(stats),
        broadcasts: BroadcastSummary::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Family;
    use crate::system::{RouteGroup, latency_meter};

    #[test]
    fn metered_answers_give_availability_latency_and_health_by_function() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let ms = |n: u64| std::time::Duration::from_millis(n);
        let mut stats = DailyStats::default();
        let users = latency_meter(RouteGroup::Users, ms(20));
        let slow = latency_meter(RouteGroup::Users, ms(900));
        let admins = latency_meter(RouteGroup::Admins, ms(50));
        stats.add(
            day(2),
            Dimension::Usage,
            Family::Counts,
            [
                (users.as_str(), 98),
                (slow.as_str(), 2),
                ("http_5xx_send", 1),
                ("invocations_send", 100),
                ("cold_starts_send", 3),
            ],
        );
        stats.add(
            day(3),
            Dimension::Usage,
            Family::Counts,
            [
                (admins.as_str(), 100),
                ("invocations_notify", 40),
                ("failed_notify", 2),
                ("emails", 7),
                ("emails_failed", 1),
            ],
        );
        let system = system_figures(&stats);
        assert_eq!((system.answered, system.server_errors), (200, 1));
        assert_eq!(system.availability, Some(0.995));
        let days: Vec<_> = system.daily.iter().map(|d| d.availability).collect();
        assert_eq!(days, [Some(0.99), Some(1.0)]);
        let groups: Vec<&str> = system.latency.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(groups, ["all", "users", "admins"]);
        let users = &system.latency[1];
        let within = |value: Option<f64>, exact: f64| {
            value.is_some_and(|v| (v - exact).abs() <= exact * RELATIVE_ERROR)
        };
        assert!(within(users.p50_ms, 20.0), "{users:?}");
        assert!(within(users.p99_ms, 900.0), "{users:?}");
        // Of all 200, the 198th is an admin answer.
        assert!(within(system.latency[0].p99_ms, 50.0));
        let functions: Vec<(&str, i64, i64, i64, i64)> = system
            .functions
            .iter()
            .map(|f| {
                (
                    f.function.as_str(),
                    f.invocations,
                    f.server_errors,
                    f.failed_invocations,
                    f.cold_starts,
                )
            })
            .collect();
        assert_eq!(functions, [("notify", 40, 0, 2, 0), ("send", 100, 1, 0, 3)]);
        assert_eq!(
            (
                system.notifications.emails_sent,
                system.notifications.emails_failed
            ),
            (7, 1)
        );
    }
}
