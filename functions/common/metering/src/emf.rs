//! Custom metrics in CloudWatch's embedded metric format (EMF): one JSON line on stdout
//! per emission, which CloudWatch Logs turns into metrics in the `SayPro/Messaging`
//! namespace by `Stage`. No API call, no permission beyond writing logs. Off Lambda (the
//! dev server, tests, the bench) the same line is a debug log line instead, so a month of
//! seeded SLA checks does not flood the console, and the logs test reads it.
//!
//! A line carries only metric names (fixed in the code: `&'static str`), counts and the
//! stage, so it cannot carry a message body, an email or a phone number.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The namespace of every custom metric (the dashboard and alarms read it).
pub const NAMESPACE: &str = "SayPro/Messaging";

/// Read once: the stage the metrics are counted under (`STAGE`, set by the template;
/// `local` without it), and whether this is Lambda (its runtime API is set).
static SETTINGS: OnceLock<(String, bool)> = OnceLock::new();

fn settings() -> &'static (String, bool) {
    SETTINGS.get_or_init(|| {
        let stage = std::env::var("STAGE").unwrap_or_else(|_| "local".into());
        (stage, std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some())
    })
}

/// Emits `metrics` (name, count) as one line, stamped now.
pub fn counts(metrics: &[(&'static str, u64)]) {
    let (stage, on_lambda) = settings();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let line = line(stage, now, metrics);
    if *on_lambda {
        println!("{line}");
    } else {
        tracing::debug!(target: "emf", "{line}");
    }
}

/// One EMF line: the metrics' declaration under `_aws`, then the stage and each value
/// at the top level.
pub fn line(stage: &str, timestamp_ms: u64, metrics: &[(&'static str, u64)]) -> String {
    let declared: Vec<Value> = metrics
        .iter()
        .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
        .collect();
    let mut fields = Map::new();
    fields.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Stage"]],
                "Metrics": declared,
            }],
        }),
    );
    fields.insert("Stage".into(), stage.into());
    for (name, value) in metrics {
        fields.insert((*name).into(), (*value).into());
    }
    Value::Object(fields).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_declares_each_metric_and_carries_its_value_by_stage() {
        let line = line("prod", 1_764_547_200_000, &[("Due", 3), ("Heartbeat", 1)]);
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed,
            json!({
                "_aws": {
                    "Timestamp": 1_764_547_200_000_u64,
                    "CloudWatchMetrics": [{
                        "Namespace": "SayPro/Messaging",
                        "Dimensions": [["Stage"]],
                        "Metrics": [
                            {"Name": "Due", "Unit": "Count"},
                            {"Name": "Heartbeat", "Unit": "Count"},
                        ],
                    }],
                },
                "Stage": "prod",
                "Due": 3,
                "Heartbeat": 1,
            })
        );
        assert!(!line.contains('\n'), "one line");
    }
}
