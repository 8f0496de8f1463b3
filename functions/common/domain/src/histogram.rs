//! Durations kept as counts in geometric buckets, so a month's response times are a few
//! hundred counters (added to with DynamoDB `ADD`) rather than every message, and a
//! percentile read from them is within a known relative error.

use std::collections::BTreeMap;

/// Each bucket's upper bound is this many times its lower bound.
pub const RATIO: f64 = 1.1;
/// A percentile is reported as its bucket's geometric middle: within this share of the
/// true value (√1.1 − 1 ≈ 4.9%).
pub const RELATIVE_ERROR: f64 = 0.048_808_848;

/// Bucket of a duration in seconds: 0 holds anything up to a second; bucket `b` holds
/// (1.1^(b−1), 1.1^b] seconds. Thirty days is bucket 156.
pub fn bucket(seconds: f64) -> u32 {
    if seconds <= 1.0 {
        return 0;
    }
    (seconds.ln() / RATIO.ln()).ceil() as u32
}

/// The value a bucket stands for: its geometric middle (a second, for bucket 0).
pub fn representative(bucket: u32) -> f64 {
    if bucket == 0 {
        return 1.0;
    }
    RATIO.powf(f64::from(bucket) - 0.5)
}

/// Counts per bucket, with the exact count and sum beside them for the mean.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    pub buckets: BTreeMap<u32, u64>,
    pub count: u64,
    /// Seconds, exactly.
    pub sum: f64,
}

impl Histogram {
    pub fn record(&mut self, seconds: f64) {
        *self.buckets.entry(bucket(seconds)).or_default() += 1;
        self.count += 1;
        self.sum += seconds;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (bucket, count) in &other.buckets {
            *self.buckets.entry(*bucket).or_default() += count;
        }
        self.count += other.count;
        self.sum += other.sum;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// The `p`-th percentile (0 < p ≤ 100), nearest rank, within [`RELATIVE_ERROR`].
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        self.buckets.iter().find_map(|(bucket, count)| {
            seen += count;
            (seen >= rank).then(|| representative(*bucket))
        })
    }

    /// The share of durations at or under `seconds` (exact when `seconds` is a bucket
    /// bound; otherwise the bucket holding it counts as under).
    pub fn share_within(&self, seconds: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let limit = bucket(seconds);
        let within: u64 = self.buckets.range(..=limit).map(|(_, c)| c).sum();
        Some(within as f64 / self.count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn of(minutes: &[f64]) -> Histogram {
        let mut h = Histogram::default();
        for m in minutes {
            h.record(m * 60.0);
        }
        h
    }

    #[test]
    fn five_first_responses_give_the_expected_figures() {
        let h = of(&[2.0, 5.0, 9.0, 31.0, 240.0]);
        assert_eq!(h.mean(), Some(57.4 * 60.0));
        let median = h.percentile(50.0).unwrap() / 60.0;
        assert!((median - 9.0).abs() <= 9.0 * RELATIVE_ERROR, "{median}");
        let p90 = h.percentile(90.0).unwrap() / 60.0;
        assert!((p90 - 240.0).abs() <= 240.0 * RELATIVE_ERROR, "{p90}");
        // Within ten minutes: 2, 5 and 9.
        assert_eq!(h.share_within(600.0), Some(0.6));
    }

    #[test]
    fn an_empty_histogram_has_no_figures() {
        let h = Histogram::default();
        assert_eq!((h.mean(), h.percentile(50.0)), (None, None));
    }

    proptest! {
        #[test]
        fn a_percentile_is_within_the_stated_error_of_the_true_one(
            values in proptest::collection::vec(1.5f64..3_000_000.0, 1..200),
            p in 1.0f64..100.0,
        ) {
            let mut h = Histogram::default();
            for v in &values { h.record(*v); }
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
            let exact = sorted[rank - 1];
            let estimate = h.percentile(p).unwrap();
            prop_assert!((estimate - exact).abs() <= exact * RELATIVE_ERROR * 1.0001,
                "p{p}: {estimate} vs {exact}");
        }

        #[test]
        fn merged_halves_are_the_whole(values in proptest::collection::vec(0.0f64..1e6, 0..100)) {
            let (a, b) = values.split_at(values.len() / 2);
            let (mut left, mut right, mut whole) = (Histogram::default(), Histogram::default(), Histogram::default());
            a.iter().for_each(|v| left.record(*v));
            b.iter().for_each(|v| right.record(*v));
            values.iter().for_each(|v| whole.record(*v));
            left.merge(&right);
            prop_assert_eq!(left.buckets, whole.buckets);
            prop_assert_eq!(left.count, whole.count);
        }
    }
}
