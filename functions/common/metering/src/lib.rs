//! Each function meters its own use for the cost report: invocations and billed
//! duration × memory, API requests, DynamoDB capacity from the consumed-capacity figures
//! every table call returns, emails sent and SMS segments by destination country. At
//! the end of each invocation, what this instance used since its last write is added to
//! the day's `USAGE` stats in one small update (its own capacity is counted in the next).
//! A failed write keeps the figures for the next one.
//!
//! [`emf`] reports the operational figures (SLA checks, messages stored) to CloudWatch.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;

use delivery::{Email, Mailer, SendError, Sms, TextMessage};
use domain::clock::Clock;
use domain::pricing::{meter, sms_country, sms_segments};
use domain::stats::Tally;
use store::table::{MetricsSnapshot, Table};

pub mod emf;

pub struct Meter {
    function: String,
    memory_mb: i64,
    pending: Mutex<BTreeMap<String, i64>>,
    /// The table's totals at the last write.
    flushed: Mutex<MetricsSnapshot>,
}

impl Meter {
    pub fn new(function: &str, memory_mb: i64) -> Arc<Self> {
        Arc::new(Self {
            function: function.to_string(),
            memory_mb,
            pending: Mutex::default(),
            flushed: Mutex::default(),
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
        self.flush(table, clock).await;
        output
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
        self.inner.send(email).await?;
        self.meter.count(meter::EMAILS, 1);
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
        self.inner.send(message).await?;
        self.meter.count(
            &format!("{}{}", meter::SMS_SEGMENTS, sms_country(&message.to)),
            i64::from(sms_segments(&message.body)),
        );
        Ok(())
    }
}
