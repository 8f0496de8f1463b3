//! The stream filters in template.yaml against the sample stream events: each function
//! is invoked for the records it handles and not for the others (a filter that drifts
//! from the code would silently drop notifications or broadcasts on AWS).

use serde_json::Value;

/// The `- Pattern:` lines of each function's stream source, by resource name.
pub(crate) fn patterns(function: &str) -> Vec<Value> {
    let found: Vec<Value> = super::template_checks::resources()
        .into_iter()
        .filter(|resource| resource.name == function)
        .flat_map(|resource| {
            resource
                .text
                .lines()
                .filter_map(|line| line.trim().strip_prefix("- Pattern: "))
                .map(|pattern| serde_json::from_str(pattern.trim_matches('\'')).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect();
    assert!(!found.is_empty(), "{function} has no stream filter");
    found
}

/// Lambda's event filtering, for the rules these patterns use: a list of exact values,
/// `prefix` and `anything-but`; objects nest.
pub(crate) fn matches(pattern: &Value, value: Option<&Value>) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(name, inner)| matches(inner, value.and_then(|v| v.get(name)))),
        Value::Array(rules) => {
            let Some(value) = value else { return false };
            rules.iter().any(|rule| match rule {
                Value::Object(rule) => match (rule.get("prefix"), rule.get("anything-but")) {
                    (Some(prefix), _) => value
                        .as_str()
                        .zip(prefix.as_str())
                        .is_some_and(|(v, p)| v.starts_with(p)),
                    (_, Some(Value::Array(excluded))) => !excluded.contains(value),
                    _ => panic!("a filter rule this test does not know: {rule:?}"),
                },
                exact => exact == value,
            })
        }
        other => panic!("a pattern leaf must be a list: {other}"),
    }
}

fn record(folder: &str, name: &str) -> Value {
    let path = format!(
        "{}/../events/{folder}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    event["Records"][0].clone()
}

fn invoked(function: &str, record: &Value) -> bool {
    patterns(function).iter().any(|p| matches(p, Some(record)))
}

#[test]
fn notify_hears_messages_conversations_listings_and_ratings_only() {
    for name in [
        "stream-user-message",
        "stream-admin-reply",
        "stream-internal-note",
        "stream-conversation-modify",
        "stream-rating",
    ] {
        assert!(invoked("NotifyFunction", &record("notify", name)), "{name}");
    }
    // New conversations count in the stats; broadcasts are broadcast's alone.
    let created = record("broadcast", "stream-conversation-created");
    assert!(invoked("NotifyFunction", &created));
    let mut listing = created.clone();
    listing["dynamodb"]["Keys"]["pk"]["S"] = "LISTING#L1".into();
    listing["eventName"] = "REMOVE".into();
    assert!(invoked("NotifyFunction", &listing), "a listing removed");
    assert!(!invoked(
        "NotifyFunction",
        &record("broadcast", "stream-broadcast-queued")
    ));
    assert!(!invoked(
        "NotifyFunction",
        &record("notify", "stream-idempotency-expired")
    ));
    // A message hidden, erased or expired changes what search finds.
    for change in ["MODIFY", "REMOVE"] {
        let mut changed = record("notify", "stream-user-message");
        changed["eventName"] = change.into();
        assert!(invoked("NotifyFunction", &changed), "a message's {change}");
    }
}

#[test]
fn broadcast_hears_active_broadcasts_and_conversations_users_start() {
    let queued = record("broadcast", "stream-broadcast-queued");
    assert!(invoked("BroadcastFunction", &queued));
    let started = record("broadcast", "stream-conversation-created");
    assert!(invoked("BroadcastFunction", &started));

    let mut sending = queued.clone();
    sending["eventName"] = "MODIFY".into();
    sending["dynamodb"]["NewImage"]["status"]["S"] = "sending".into();
    assert!(invoked("BroadcastFunction", &sending), "the next step");
    for done in ["sent", "cancelled"] {
        let mut finished = sending.clone();
        finished["dynamodb"]["NewImage"]["status"]["S"] = done.into();
        assert!(!invoked("BroadcastFunction", &finished), "{done}");
    }
    let mut delivered = started.clone();
    delivered["dynamodb"]["NewImage"]["created_by"]["S"] = "saypro-support".into();
    assert!(
        !invoked("BroadcastFunction", &delivered),
        "a broadcast's own conversations"
    );
    for name in [
        "stream-user-message",
        "stream-conversation-modify",
        "stream-idempotency-expired",
    ] {
        assert!(
            !invoked("BroadcastFunction", &record("notify", name)),
            "{name}"
        );
    }
}

/// The dev server and the bench feed notify what `notify::hears` passes: it must be
/// what template.yaml's filter passes on AWS.
#[test]
fn the_local_filter_is_the_templates() {
    let mut samples = Vec::new();
    for folder in ["notify", "broadcast"] {
        let dir = format!("{}/../events/{folder}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(name) = name
                .strip_prefix("stream-")
                .and_then(|n| n.strip_suffix(".json"))
            {
                samples.push(record(folder, &format!("stream-{name}")));
            }
        }
    }
    for event_name in ["INSERT", "MODIFY", "REMOVE"] {
        for sample in samples.clone() {
            let mut changed = sample;
            changed["eventName"] = event_name.into();
            samples.push(changed);
        }
    }
    assert!(samples.len() > 20);
    for sample in samples {
        let event = serde_json::json!({ "Records": [sample.clone()] });
        let records =
            common::store::table::stream::records(serde_json::from_value(event).unwrap()).unwrap();
        // The event name is not in a StreamRecord: its images say it (this stream
        // carries both: a modify has both, an insert no old one, a remove no new one).
        let mut record = records[0].clone();
        match sample["eventName"].as_str() {
            Some("INSERT") => record.old = None,
            Some("REMOVE") => (record.old, record.new) = (record.new.or(record.old), None),
            _ => {
                let image = record.old.clone().or(record.new.clone());
                record.old = image.clone();
                record.new = record.new.or(image);
            }
        }
        assert_eq!(
            common::notifications::hears(&record),
            invoked("NotifyFunction", &sample),
            "{} {} {}",
            sample["eventName"],
            sample["dynamodb"]["Keys"]["pk"],
            sample["dynamodb"]["Keys"]["sk"]
        );
    }
}
