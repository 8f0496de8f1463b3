//! Round trips and capacity units, counted by every adapter the same way.

use std::sync::atomic::{AtomicU64, Ordering};

/// Capacity consumed by one call. Units are kept in halves so that eventually consistent
/// reads (½ RCU per 4 KB) stay exact.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Consumed {
    pub read_half_units: u64,
    pub write_units: u64,
}

/// Totals since the table was opened. Cheap to read and to update from any thread.
#[derive(Debug, Default)]
pub struct TableMetrics {
    round_trips: AtomicU64,
    read_half_units: AtomicU64,
    write_units: AtomicU64,
}

/// A copy of the totals at one moment; subtract two snapshots to measure an operation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricsSnapshot {
    pub round_trips: u64,
    pub read_units: f64,
    pub write_units: u64,
}

impl TableMetrics {
    pub fn record(&self, consumed: Consumed) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        self.read_half_units
            .fetch_add(consumed.read_half_units, Ordering::Relaxed);
        self.write_units
            .fetch_add(consumed.write_units, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            round_trips: self.round_trips.load(Ordering::Relaxed),
            read_units: self.read_half_units.load(Ordering::Relaxed) as f64 / 2.0,
            write_units: self.write_units.load(Ordering::Relaxed),
        }
    }
}

impl std::ops::Sub for MetricsSnapshot {
    type Output = MetricsSnapshot;
    fn sub(self, earlier: Self) -> Self {
        MetricsSnapshot {
            round_trips: self.round_trips - earlier.round_trips,
            read_units: self.read_units - earlier.read_units,
            write_units: self.write_units - earlier.write_units,
        }
    }
}
