//! The demo's last month: the calendar month before "now" (in South African time, as the
//! reports count days) with a month of traffic, so the monthly report and the cost page
//! have figures from the first start.
//!
//! It runs as `bench`'s month of traffic does: the real operations over HTTP through the
//! metered router, on a manual clock set to each moment of the [`plan`], with tokens
//! issued then; the change feed is processed as it goes (notify: stats and
//! notifications; broadcast: the fan-out), and the schedules run every simulated hour
//! (the SLA check escalates what is answered late). Its email and SMS go to an outbox in
//! memory that is dropped: the dev server's outbox shows only what happens live. The
//! table is the dev server's, its figures last month's days: nothing of it is left for
//! the live consumers or schedules to process again.

mod plan;
mod script;

pub use script::MORE_LISTINGS;

use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::http::{Method, Request, header};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use common::domain::HOME_TIME_ZONE;
use common::domain::clock::{Clock, ManualClock};
use common::domain::identity::Claims;
use common::metering::Meter;
use common::store::table::StreamRecord;
use common::store::table::embedded::EmbeddedTable;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;
use tower::ServiceExt;

use crate::Local;
use crate::demo::{PEOPLE, claims};
use plan::Step;
use script::{BROADCAST_BODY, BROADCAST_SUBJECT, BROADCAST_TIER, MEMBERS, MORE_AGENTS, TEMPLATES};

/// What was seeded.
#[derive(Debug, Clone)]
pub struct SeededMonth {
    /// `yyyy-mm`.
    pub month: String,
    /// Support and buyer–seller conversations started.
    pub conversations: usize,
    /// Requests made to the API.
    pub requests: usize,
    /// Escalations the SLA check made, to seniors and then to managers.
    pub escalations: usize,
}

/// Seeds the calendar month before `now` on `table`, through the API as `secret`'s
/// tokens sign in. `meter`: the dev server's, which counts the month's use on its days
/// (a meter writes what the table used since its own last write: with one of its own, the
/// dev server's first write would count the whole month again, as today's). Call it
/// before the live consumers read the table's feed: it takes the feed while it runs.
pub async fn seed(
    table: Arc<EmbeddedTable>,
    secret: &str,
    now: DateTime<Utc>,
    meter: Arc<Meter>,
) -> anyhow::Result<SeededMonth> {
    let (start, end) = month_before(now)?;
    let feed = table.subscribe();
    let clock = Arc::new(ManualClock::new(start));
    let system = Local::new(
        table.clone(),
        clock.clone(),
        secret,
        None,
        crate::DEFAULT_BASE_URL,
    )
    // Nobody reads in the app here: every email goes at once, none waits for a run.
    .with_email_delay(0)
    .with_meter(meter);
    let plan = plan::month(start, end);
    let mut month = Month {
        router: system.metered_router(),
        system,
        clock,
        table,
        feed,
        secret: secret.to_string(),
        ids: vec![None; plan.conversations],
        next_run: start + Duration::hours(1),
        closing_template: String::new(),
        seeded: SeededMonth {
            month: local_month(start),
            conversations: 0,
            requests: 0,
            escalations: 0,
        },
    };
    month.open(start + Duration::minutes(5)).await?;
    for event in plan.events {
        month.schedules_until(event.at).await?;
        month.clock.set(event.at);
        month.take(event.step).await?;
    }
    month.schedules_until(end - Duration::minutes(1)).await?;
    month.stream().await?;
    // What the month left for later (an SMS held for quiet hours, a digest) goes now, to
    // the dropped outbox, not to the dev server's.
    month.send_what_is_due(end + Duration::days(1)).await?;
    Ok(month.seeded)
}

/// The first instant of the calendar month before `now`'s and of `now`'s, in South
/// African time.
fn month_before(now: DateTime<Utc>) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let today = now.with_timezone(&HOME_TIME_ZONE).date_naive();
    let this_month = today.with_day(1).context("the 1st")?;
    let last_month = common::domain::report::previous_month(this_month);
    let midnight = |date: chrono::NaiveDate| {
        HOME_TIME_ZONE
            .from_local_datetime(&date.and_time(NaiveTime::MIN))
            .earliest()
            .map(|at| at.with_timezone(&Utc))
            .context("a local midnight")
    };
    Ok((midnight(last_month)?, midnight(this_month)?))
}

fn local_month(at: DateTime<Utc>) -> String {
    at.with_timezone(&HOME_TIME_ZONE)
        .format("%Y-%m")
        .to_string()
}

/// Who signs in as `sub`: a demo person, one of the month's agents or members.
fn claims_of(sub: &str) -> anyhow::Result<Claims> {
    if let Some(person) = PEOPLE.iter().chain(MORE_AGENTS).find(|p| p.sub == sub) {
        return Ok(claims(person));
    }
    let member = MEMBERS
        .iter()
        .find(|m| m.sub == sub)
        .with_context(|| format!("{sub}: nobody in the demo"))?;
    Ok(member.claims())
}

/// The month as it runs.
struct Month {
    system: Local,
    router: axum::Router,
    clock: Arc<ManualClock>,
    table: Arc<EmbeddedTable>,
    feed: UnboundedReceiver<StreamRecord>,
    secret: String,
    /// The plan's conversations' ids, once created.
    ids: Vec<Option<String>>,
    /// When the schedules run next (hourly).
    next_run: DateTime<Utc>,
    /// The template agents close a silent conversation with.
    closing_template: String,
    seeded: SeededMonth,
}

impl Month {
    /// A request as `sub`, with a token issued now; the answer's JSON.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        sub: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let token = crate::mint_token(claims_of(sub)?, &self.secret, self.clock.now(), 1);
        let request = Request::builder()
            .method(&method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))?;
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        self.seeded.requests += 1;
        anyhow::ensure!(
            status.is_success(),
            "{method} {path} as {sub} at {}: {status} {}",
            self.clock.now(),
            String::from_utf8_lossy(&bytes)
        );
        Ok(if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)?
        })
    }

    fn id(&self, conversation: usize) -> anyhow::Result<String> {
        self.ids
            .get(conversation)
            .cloned()
            .flatten()
            .with_context(|| format!("conversation {conversation} of the plan was not created"))
    }

    /// The month's first minutes: the website syncs its listings and users, and the
    /// admins open their queues (which puts them in the directory, so escalations and
    /// team notifications reach them).
    async fn open(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.clock.set(at);
        for listing in crate::demo::all_listings() {
            let body = json!({
                "title": listing.title,
                "seller_id": listing.seller,
                "category": listing.category,
                "location": listing.location,
                "status": listing.status,
            });
            let path = format!("/v1/listings/{}", listing.id);
            self.call(Method::PUT, &path, "website", Some(body)).await?;
        }
        for member in MEMBERS {
            let body = json!({
                "name": member.name,
                "email": format!("{}@example.co.za", member.sub),
                "tier": member.tier,
                "location": member.location,
            });
            let path = format!("/v1/users/{}", member.sub);
            self.call(Method::PUT, &path, "website", Some(body)).await?;
        }
        let admins: Vec<&str> = PEOPLE
            .iter()
            .chain(MORE_AGENTS)
            .filter(|p| {
                p.groups
                    .iter()
                    .any(|g| ["agent", "senior", "manager"].contains(g))
            })
            .map(|p| p.sub)
            .collect();
        for admin in admins {
            self.call(Method::GET, "/v1/admin/conversations", admin, None)
                .await?;
        }
        for (i, (name, team, category, body)) in TEMPLATES.iter().enumerate() {
            let template = json!({"name": name, "team": team, "category": category, "body": body});
            let created = self
                .call(
                    Method::POST,
                    "/v1/admin/templates",
                    "manager-max",
                    Some(template),
                )
                .await?;
            if i == 0 {
                self.closing_template = created["id"].as_str().context("template id")?.into();
            }
        }
        self.stream().await
    }

    async fn take(&mut self, step: Step) -> anyhow::Result<()> {
        match step {
            Step::Ask {
                conversation,
                user,
                topic,
                listing,
            } => {
                let mut body = json!({
                    "type": "support",
                    "category": topic.category,
                    "subject": topic.subject,
                    "body": topic.question,
                });
                if let Some(listing) = listing {
                    body["listing_id"] = json!(listing);
                }
                self.start(conversation, user.sub, body).await?;
            }
            Step::Chat {
                conversation,
                buyer,
                listing,
                body,
            } => {
                let body = json!({"type": "direct", "listing_id": listing, "body": body});
                self.start(conversation, buyer, body).await?;
            }
            Step::Write {
                conversation,
                from,
                body,
            } => {
                let path = format!("/v1/conversations/{}/messages", self.id(conversation)?);
                self.call(Method::POST, &path, from, Some(json!({ "body": body })))
                    .await?;
            }
            Step::Note {
                conversation,
                agent,
                body,
            } => {
                let path = format!("/v1/admin/conversations/{}/replies", self.id(conversation)?);
                let note = json!({"body": body, "internal": true});
                self.call(Method::POST, &path, agent, Some(note)).await?;
            }
            Step::Reply {
                conversation,
                agent,
                body,
                resolve,
            } => {
                let path = format!("/v1/admin/conversations/{}/replies", self.id(conversation)?);
                let status = if resolve { "resolved" } else { "pending" };
                let reply = json!({"body": body, "status": status});
                self.call(Method::POST, &path, agent, Some(reply)).await?;
            }
            Step::Close {
                conversation,
                agent,
            } => {
                let path = format!("/v1/admin/conversations/{}/replies", self.id(conversation)?);
                let closing = json!({"template_id": self.closing_template, "status": "resolved"});
                self.call(Method::POST, &path, agent, Some(closing)).await?;
            }
            Step::Confirm { conversation, user } => {
                let path = format!("/v1/conversations/{}/resolve", self.id(conversation)?);
                self.call(Method::POST, &path, user, None).await?;
            }
            Step::Rate {
                conversation,
                user,
                answer,
            } => {
                let path = format!("/v1/conversations/{}/rating", self.id(conversation)?);
                self.call(Method::POST, &path, user, Some(answer)).await?;
            }
            Step::Nps { user, score } => {
                let answer = json!({ "score": score });
                self.call(Method::POST, "/v1/me/nps", user, Some(answer))
                    .await?;
            }
            Step::Broadcast => {
                let broadcast = json!({
                    "subject": BROADCAST_SUBJECT,
                    "body": BROADCAST_BODY,
                    "segment": {"kind": "tier", "tier": BROADCAST_TIER},
                });
                self.call(
                    Method::POST,
                    "/v1/admin/broadcasts",
                    "manager-max",
                    Some(broadcast),
                )
                .await?;
            }
            Step::AnswerBroadcast {
                conversation,
                user,
                body,
            } => {
                let inbox = self
                    .call(Method::GET, "/v1/conversations", user, None)
                    .await?;
                let id = inbox["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|c| c["subject"] == BROADCAST_SUBJECT)
                    .and_then(|c| c["id"].as_str())
                    .with_context(|| format!("{user} did not get the broadcast"))?
                    .to_string();
                let path = format!("/v1/conversations/{id}/messages");
                self.call(Method::POST, &path, user, Some(json!({ "body": body })))
                    .await?;
                self.ids[conversation] = Some(id);
            }
        }
        Ok(())
    }

    /// Starts a conversation as `sub`; keeps its id for the plan's number.
    async fn start(&mut self, conversation: usize, sub: &str, body: Value) -> anyhow::Result<()> {
        let created = self
            .call(Method::POST, "/v1/conversations", sub, Some(body))
            .await?;
        let id = created["conversation"]["id"]
            .as_str()
            .context("the new conversation's id")?;
        self.ids[conversation] = Some(id.to_string());
        self.seeded.conversations += 1;
        Ok(())
    }

    /// Processes the change feed until it is quiet, as the stream drives notify and
    /// broadcast (a fan-out's steps trigger each other): each gets what its function's
    /// stream filter lets through, a batch an invocation. What they write themselves
    /// (stats, metering) passes neither filter, so the feed does go quiet.
    async fn stream(&mut self) -> anyhow::Result<()> {
        loop {
            let feed = &mut self.feed;
            let records: Vec<StreamRecord> = std::iter::from_fn(|| feed.try_recv().ok()).collect();
            let heard: Vec<StreamRecord> = records
                .iter()
                .filter(|r| common::notifications::hears(r))
                .cloned()
                .collect();
            let fanned: Vec<StreamRecord> = records
                .into_iter()
                .filter(|r| crate::broadcast_keys(&r.key.pk, &r.key.sk))
                .collect();
            if heard.is_empty() && fanned.is_empty() {
                return Ok(());
            }
            let (table, clock) = (self.table.as_ref(), self.clock.as_ref());
            let meter = &self.system.meter;
            if !heard.is_empty() {
                let notify = self.system.notifier.process(&heard);
                let failed = meter.invocation(table, clock, false, notify).await;
                anyhow::ensure!(failed.is_empty(), "notify failed on {failed:?}");
            }
            if !fanned.is_empty() {
                let broadcast = self.system.app.broadcast_stream(&fanned);
                let failed = meter.invocation(table, clock, false, broadcast).await;
                anyhow::ensure!(failed.is_empty(), "broadcast failed on {failed:?}");
            }
        }
    }

    /// Runs the hourly schedules due by `until`, as EventBridge would.
    async fn schedules_until(&mut self, until: DateTime<Utc>) -> anyhow::Result<()> {
        while self.next_run <= until {
            let at = self.next_run;
            self.clock.set(at);
            self.schedules(at).await?;
            self.next_run += Duration::hours(1);
        }
        Ok(())
    }

    /// The stream's last hour, the SLA check and notify's scheduled sends, as if they ran
    /// at `at`. (Processing the stream hourly, not after each request, changes no figure:
    /// stats count the times in the records; it makes a batch an hour, not a request.)
    async fn schedules(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.stream().await?;
        let (table, clock) = (self.table.as_ref(), self.clock.as_ref());
        let meter = &self.system.meter;
        let checked = meter
            .invocation(table, clock, false, self.system.app.sla_check(at))
            .await?;
        self.seeded.escalations += checked.escalated_to_senior + checked.escalated_to_manager;
        self.stream().await?;
        self.send_what_is_due(at).await
    }

    /// Held SMS, digests and waiting emails due by `at`, sent.
    async fn send_what_is_due(&mut self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let (table, clock) = (self.table.as_ref(), self.clock.as_ref());
        let notifier = &self.system.notifier;
        let sends = async {
            notifier.release_held(at).await?;
            notifier.send_digests(at).await?;
            // A run takes at most 100.
            loop {
                let due = notifier.send_due_emails(at).await?;
                if due.sent + due.read == 0 {
                    break;
                }
            }
            Ok::<_, common::notifications::NotifyError>(())
        };
        self.system
            .meter
            .invocation(table, clock, false, sends)
            .await?;
        self.stream().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("an RFC 3339 time")
            .to_utc()
    }

    #[test]
    fn last_month_is_counted_in_south_african_time() {
        let (start, end) = month_before(at("2026-12-03T08:00:00Z")).expect("a month");
        assert_eq!(start, at("2026-10-31T22:00:00Z"), "1 November, 00:00 SAST");
        assert_eq!(end, at("2026-11-30T22:00:00Z"), "1 December, 00:00 SAST");
        // Half past midnight on the 1st in Johannesburg is still the 30th in UTC.
        let (start, _) = month_before(at("2026-11-30T22:30:00Z")).expect("a month");
        assert_eq!(local_month(start), "2026-11");
        let (start, _) = month_before(at("2027-01-15T10:00:00Z")).expect("a month");
        assert_eq!(
            local_month(start),
            "2026-12",
            "January's last month is December"
        );
    }
}
