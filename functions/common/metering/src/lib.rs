//! Each function meters its own use for the cost report: invocations and billed
//! duration × memory, API requests, DynamoDB capacity from the consumed-capacity figures
//! every table call returns, emails sent and SMS segments by destination country. At
//! the end of each invocation, what this instance used since its last write is added to
//! the day's `USAGE` stats in one small update (its own capacity is counted in the next).
//! A failed write keeps the figures for the next one.
//!
//! The same write carries the system's health (`domain::system`): each API answer's
//! latency as one counter of its route group's histogram and, for a 5xx, one per
//! function; a failed invocation; an instance's first invocation (its cold start);
//! emails and SMS that could not be sent, webhook posts and their failures.
//!
//! [`emf`] reports the operational figures (SLA checks, messages stored) to CloudWatch.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use delivery::{Email, Mailer, PostError, SendError, Sms, TextMessage, WebhookPoster};
use domain::clock::Clock;
use domain::pricing::{meter, sms_country, sms_segments};
use domain::stats::Tally;
use domain::system::{self, RouteGroup, latency_meter};
use store::table::{MetricsSnapshot, Table};

pub mod emf;

pub struct Meter {
    function: String,
    memory_mb: i64,
    pending: Mutex<BTreeMap<String, i64>>,
    /// The table's totals at the last write.
    flushed: Mutex<MetricsSnapshot>,
    /// Set until the instance's first invocation, which counts as its cold start.
    cold: AtomicBool,
}

impl Meter {
    pub fn new(function: &str, memory_mb: i64) -> Arc<Self> {
        Arc::new(Self {
            function: function.to_string(),
            memory_mb,
            pending: Mutex::default(),
            flushed: Mutex::default(),
            cold: AtomicBool::new(true),
        })
    }

    /// On Lambda: the memory configured for the function (what duration is billed at).
    pub fn for_lambda(function: &str) -> Arc<Self> {
        let memory = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
            .ok()
            .and_then(|m| m.parse().ok())
            .unwrap_or(128);
        Self::new(function, memory)
    }

    pub fn count(&self, name: &str, n: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.entry(name.to_string()).or_default() += n;
    }

    /// Runs one invocation and meters it; `api` when API Gateway carried it.
    pub async fn invocation<T>(
        &self,
        table: &dyn Table,
        clock: &dyn Clock,
        api: bool,
        work: impl Future<Output = T>,
    ) -> T {
        self.judged(table, clock, api, work, |_| false).await
    }

    /// As [`Meter::invocation`], counting the invocation as failed when `failed` says
    /// so of what it returned (an error handed back to the Lambda runtime).
    pub async fn judged<T>(
        &self,
        table: &dyn Table,
        clock: &dyn Clock,
        api: bool,
        work: impl Future<Output = T>,
        failed: impl FnOnce(&T) -> bool,
    ) -> T {
        if self.cold.swap(false, Ordering::Relaxed) {
            self.count(
                &format!("{}{}", system::meter::COLD_STARTS, self.function),
                1,
            );
        }
        let started = Instant::now();
        let output = work.await;
        let billed_ms = started.elapsed().as_micros().div_ceil(1000).max(1) as i64;
        self.count(&format!("{}{}", meter::INVOCATIONS, self.function), 1);
        self.count(
            &format!("{}{}", meter::MB_MS, self.function),
            billed_ms * self.memory_mb,
        );
        if api {
            self.count(meter::API_REQUESTS, 1);
        }
        if failed(&output) {
            self.count(&format!("{}{}", system::meter::FAILED, self.function), 1);
        }
        self.flush(table, clock).await;
        output
    }

    /// An API answer: one more in its route group's latency bucket, and a 5xx counted
    /// against this function. Written with the invocation's other figures.
    pub fn answered(&self, group: RouteGroup, status: u16, elapsed: Duration) {
        self.count(&latency_meter(group, elapsed), 1);
        if status >= 500 {
            self.count(
                &format!("{}{}", system::meter::SERVER_ERRORS, self.function),
                1,
            );
        }
    }

    /// Writes what was used since the last write. Never fails the invocation.
    pub async fn flush(&self, table: &dyn Table, clock: &dyn Clock) {
        let now_totals = table.metrics().snapshot();
        let used = {
            let mut flushed = self.flushed.lock().unwrap_or_else(|e| e.into_inner());
            let used = now_totals - *flushed;
            *flushed = now_totals;
            used
        };
        self.count(
            meter::READ_MILLI_UNITS,
            (used.read_units * 1000.0).round() as i64,
        );
        self.count(meter::WRITE_UNITS, used.write_units as i64);
        let meters = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let mut tally = Tally::default();
        tally.usage(clock.now(), &meters);
        let writes = store::stats::writes(&tally);
        if writes.is_empty() {
            return;
        }
        if let Err(error) = table.write(writes).await {
            tracing::warn!(%error, "metering write failed; kept for the next one");
            for (name, n) in meters {
                self.count(&name, n);
            }
        }
    }
}

/// A mailer that counts what it sent.
pub struct MeteredMailer {
    pub inner: Arc<dyn Mailer>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl Mailer for MeteredMailer {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        if let Err(error) = self.inner.send(email).await {
            self.meter.count(system::meter::EMAILS_FAILED, 1);
            return Err(error);
        }
        self.meter.count(meter::EMAILS, 1);
        // One line per email, in the caller's span: a record's carries the request id.
        tracing::info!("email sent");
        Ok(())
    }
}

/// An SMS sender that counts segments by destination country.
pub struct MeteredSms {
    pub inner: Arc<dyn Sms>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl Sms for MeteredSms {
    async fn send(&self, message: &TextMessage) -> Result<(), SendError> {
        if let Err(error) = self.inner.send(message).await {
            self.meter.count(system::meter::SMS_FAILED, 1);
            return Err(error);
        }
        self.meter.count(system::meter::SMS_SENT, 1);
        let country = sms_country(&message.to);
        self.meter.count(
            &format!("{}{country}", meter::SMS_SEGMENTS),
            i64::from(sms_segments(&message.body)),
        );
        tracing::info!(country, "sms sent");
        Ok(())
    }
}

/// A webhook poster that counts its posts, and those not answered with a 2xx (each
/// retried on the schedule until its attempts run out).
pub struct MeteredPoster {
    pub inner: Arc<dyn WebhookPoster>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl WebhookPoster for MeteredPoster {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Result<u16, PostError> {
        let answer = self.inner.post(url, headers, body).await;
        self.meter.count(system::meter::WEBHOOK_POSTS, 1);
        if !matches!(answer, Ok(status) if (200..300).contains(&status)) {
            self.meter.count(system::meter::WEBHOOK_POSTS_FAILED, 1);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::clock::ManualClock;
    use domain::stats::{Cell, DailyStats, Dimension, Family};
    use store::table::embedded::EmbeddedTable;

    /// The day's `USAGE` counters, as the report reads them.
    async fn usage(table: &EmbeddedTable, clock: &ManualClock) -> domain::stats::Figures {
        let (day, _) = domain::stats::local_day_hour(clock.now());
        let cell = Cell::Day {
            day,
            dimension: Dimension::Usage,
            family: Family::Counts,
        };
        let item = table
            .get(&store::keys::stats(&cell), true)
            .await
            .unwrap()
            .unwrap_or_default();
        let mut stats = DailyStats::default();
        store::stats::read_into(&mut stats, &item);
        stats.total(&Dimension::Usage)
    }

    #[tokio::test]
    async fn an_instance_counts_one_cold_start_its_5xx_and_failed_invocations() {
        let table = EmbeddedTable::in_memory();
        let clock = ManualClock::new(chrono::Utc::now());
        let meter = Meter::new("send", 128);
        for status in [200, 503, 201] {
            meter
                .invocation(&table, &clock, true, async {
                    meter.answered(RouteGroup::Users, status, Duration::from_millis(20));
                })
                .await;
        }
        let failed: Result<(), &str> = meter
            .judged(&table, &clock, false, async { Err("no") }, Result::is_err)
            .await;
        assert!(failed.is_err());
        let figures = usage(&table, &clock).await;
        assert_eq!(figures.count("cold_starts_send"), 1);
        assert_eq!(figures.count("invocations_send"), 4);
        assert_eq!(figures.count("http_5xx_send"), 1);
        assert_eq!(figures.count("failed_send"), 1);
        assert_eq!(figures.count(meter::API_REQUESTS), 3);
        assert_eq!(
            figures.count(&latency_meter(RouteGroup::Users, Duration::from_millis(20))),
            3
        );
    }
}
