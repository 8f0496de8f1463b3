//! template.yaml's monitoring covers everything it declares: every function has an errors
//! and a throttles alarm and is on the dashboard, every queue has an alarm and is on the
//! dashboard, and every alarm tells the alarm topic. The next function or queue added
//! cannot be forgotten.

use serde_json::Value;

/// One resource of template.yaml: its logical name, type and text (its lines, as written).
pub(crate) struct Resource {
    pub name: String,
    pub kind: String,
    pub text: String,
}

/// The template's resources, read by indentation: each starts at a two-space
/// `Name:` line of the `Resources:` section and runs to the next.
pub(crate) fn resources() -> Vec<Resource> {
    let template =
        std::fs::read_to_string(format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    let mut section = "";
    let mut found: Vec<Resource> = Vec::new();
    for line in template.lines() {
        if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
            section = line.trim_end();
            continue;
        }
        if section != "Resources:" {
            continue;
        }
        if line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':') {
            found.push(Resource {
                name: line.trim().trim_end_matches(':').to_string(),
                kind: String::new(),
                text: String::new(),
            });
            continue;
        }
        let Some(resource) = found.last_mut() else {
            continue;
        };
        if let Some(kind) = line.strip_prefix("    Type: ") {
            resource.kind = kind.trim().to_string();
        }
        resource.text.push_str(line);
        resource.text.push('\n');
    }
    found
}

fn of_kind<'a>(resources: &'a [Resource], kind: &str) -> Vec<&'a Resource> {
    resources.iter().filter(|r| r.kind == kind).collect()
}

/// Whether an alarm watches `metric` of the resource a dimension names by `value`
/// (`!Ref SendFunction`, `!GetAtt NotifyFailures.QueueName`).
fn alarmed(resources: &[Resource], metric: &str, value: &str) -> bool {
    of_kind(resources, "AWS::CloudWatch::Alarm")
        .iter()
        .any(|alarm| {
            alarm.text.contains(&format!("MetricName: {metric}\n"))
                && alarm.text.contains(&format!("Value: {value} }}"))
        })
}

/// The dashboard's body as JSON, each `${...}` of its `!Sub` replaced by the name inside
/// (in a string) or 0 (a number).
fn dashboard(resources: &[Resource]) -> Value {
    let dashboards = of_kind(resources, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1, "one dashboard");
    let text = &dashboards[0].text;
    let body = &text[text.find("DashboardBody: !Sub |").expect("a !Sub body")..];
    // The block scalar: the lines indented deeper than its key.
    let body: String = body
        .lines()
        .skip(1)
        .take_while(|line| line.is_empty() || line.starts_with("        "))
        .map(|line| format!("{line}\n"))
        .collect();
    let (mut json, mut in_string, mut rest) = (String::new(), false, body.as_str());
    while let Some(at) = rest.find(['"', '$', '\\']) {
        let (before, from) = rest.split_at(at);
        json.push_str(before);
        if let Some(inner) = from.strip_prefix("${") {
            let (name, after) = inner.split_once('}').unwrap();
            json.push_str(if in_string { name } else { "0" });
            rest = after;
        } else {
            // An escape (kept whole), a quote, or a lone `$`.
            let length = if from.starts_with('\\') { 2 } else { 1 };
            in_string ^= from.starts_with('"');
            json.push_str(&from[..length]);
            rest = &from[length..];
        }
    }
    json.push_str(rest);
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("the dashboard body is JSON: {e}"))
}

/// The text of the widgets showing `metric` of `namespace`, or of the log widgets when
/// `metric` is empty.
fn widgets(body: &Value, namespace: &str, metric: &str) -> Vec<String> {
    body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|widget| {
            let properties = &widget["properties"];
            if metric.is_empty() {
                return widget["type"] == "log";
            }
            properties["metrics"].as_array().is_some_and(|rows| {
                rows.iter()
                    .any(|row| row[0] == namespace && row[1] == metric)
            })
        })
        .map(|widget| widget.to_string())
        .collect()
}

#[test]
fn every_function_has_an_errors_and_a_throttles_alarm() {
    let resources = resources();
    let functions = of_kind(&resources, "AWS::Serverless::Function");
    assert!(functions.len() >= 8, "the functions are found");
    for function in functions {
        let by_name = format!("!Ref {}", function.name);
        assert!(
            alarmed(&resources, "Errors", &by_name),
            "{} has no errors alarm",
            function.name
        );
        assert!(
            alarmed(&resources, "Throttles", &by_name),
            "{} has no throttles alarm",
            function.name
        );
    }
}

#[test]
fn every_function_is_on_the_dashboard() {
    let resources = resources();
    let body = dashboard(&resources);
    for function in of_kind(&resources, "AWS::Serverless::Function") {
        for metric in ["Invocations", "Errors", "Throttles", "Duration"] {
            let shown = widgets(&body, "AWS/Lambda", metric);
            assert!(
                shown
                    .iter()
                    .any(|w| w.contains(&format!("\"{}\"", function.name))),
                "{}'s {metric} are not on the dashboard",
                function.name
            );
        }
        let cold_starts = widgets(&body, "", "");
        assert!(
            cold_starts
                .iter()
                .any(|w| w.contains(&format!("'/aws/lambda/{}'", function.name))),
            "{}'s cold starts are not on the dashboard",
            function.name
        );
    }
}

#[test]
fn every_queue_has_an_alarm_and_is_on_the_dashboard() {
    let resources = resources();
    let body = dashboard(&resources);
    let queues = of_kind(&resources, "AWS::SQS::Queue");
    assert!(!queues.is_empty(), "the queues are found");
    for queue in queues {
        assert!(
            alarmed(
                &resources,
                "ApproximateNumberOfMessagesVisible",
                &format!("!GetAtt {}.QueueName", queue.name)
            ),
            "{} has no alarm",
            queue.name
        );
        let shown = widgets(&body, "AWS/SQS", "ApproximateNumberOfMessagesVisible");
        assert!(
            shown
                .iter()
                .any(|w| w.contains(&format!("\"{}.QueueName\"", queue.name))),
            "{} is not on the dashboard",
            queue.name
        );
    }
}

#[test]
fn every_alarm_tells_the_alarm_topic() {
    for alarm in of_kind(&resources(), "AWS::CloudWatch::Alarm") {
        assert!(
            alarm.text.contains("AlarmActions: [!Ref AlarmTopic]"),
            "{} tells nobody",
            alarm.name
        );
    }
}

#[test]
fn the_stream_consumers_fall_behind_and_the_sla_check_stops_on_an_alarm() {
    let resources = resources();
    for function in ["NotifyFunction", "BroadcastFunction"] {
        assert!(
            alarmed(&resources, "IteratorAge", &format!("!Ref {function}")),
            "{function}'s iterator age has no alarm"
        );
    }
    let heartbeat = of_kind(&resources, "AWS::CloudWatch::Alarm")
        .into_iter()
        .find(|a| a.text.contains("MetricName: Heartbeat\n"))
        .expect("an alarm on the SLA check's heartbeat");
    assert!(
        heartbeat.text.contains("TreatMissingData: breaching"),
        "no heartbeat is an alarm"
    );
}
