//! The production path: the real Lambda binaries under `cargo lambda watch`, on a stage of
//! template.yaml made in moto (infra/production-path/stage.py). Moto applies no SAM
//! transform and runs no triggers, so this harness does what Lambda would: it hands the
//! functions API Gateway's events, reads the table's stream and passes each stream
//! function the records its template filter lets through, in batches of its BatchSize,
//! and fires the schedules. A message goes from the HTTP event through the stream to
//! notify (SMS and the delayed email read back from moto), an SLA escalation from a
//! scheduled event, a monthly report by email, and the agent's answer by email through
//! the receipt rule set as moto keeps it; one request id is followed from the API to its
//! notification in the functions' logs.
//!
//! Run by `bash infra/production-path.sh` (part of `make test`), which makes the stage,
//! starts the watch and sets `SAYPRO_LAMBDA_URL`, `SAYPRO_STAGE_TABLE` and
//! `SAYPRO_WATCH_LOG`; ignored by a plain `cargo test`, which has no watch running.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::delivery_on_moto::entries;
use super::stream_filters::{matches, patterns};
use super::template_checks::resources;

fn setting(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run `bash infra/production-path.sh`"))
}

/// Invokes `function` (its binary's name) through the watch's Lambda Invoke API.
async fn invoke(function: &str, payload: &Value) -> Value {
    let url = format!(
        "{}/2015-03-31/functions/{function}/invocations",
        setting("SAYPRO_LAMBDA_URL")
    );
    let (status, _, body) = tests::http("POST", &url, &[], payload.to_string().into_bytes()).await;
    let answer: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("{function}: {}", String::from_utf8_lossy(&body)));
    assert_eq!(status, 200, "{function}: {answer}");
    assert!(
        answer.get("errorType").is_none(),
        "{function} failed: {answer}"
    );
    answer
}

/// The identity API Gateway's JWT authorizer hands on, as Cognito's claims.
fn claims(sub: &str, groups: &[&str]) -> Value {
    json!({
        "sub": sub,
        "email": format!("{sub}@example.co.za"),
        "name": sub,
        "phone_number": "+27821234567",
        "cognito:groups": format!("[{}]", groups.join(" ")),
    })
}

/// An HTTP API (payload 2.0) request as API Gateway hands it to a function; the answer's
/// status and JSON body.
async fn request(
    function: &str,
    route: (&str, &str),
    who: &Value,
    body: Option<Value>,
    request_id: &str,
) -> (u16, Value) {
    let (method, path) = route;
    let event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.saypro.test"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.saypro.test",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "196.21.0.10", "userAgent": "production-path"},
            "requestId": request_id,
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "01/Dec/2026:08:00:00 +0000",
            "timeEpoch": 0,
            "authorizer": {"jwt": {"claims": who, "scopes": null}},
        },
        "isBase64Encoded": false,
        "body": body.map(|b| b.to_string()),
    });
    let answer = invoke(function, &event).await;
    let body = answer["body"].as_str().unwrap_or("null");
    let status = answer["statusCode"].as_u64().unwrap() as u16;
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// An EventBridge schedule's event at `time`.
fn schedule(time: DateTime<Utc>) -> Value {
    json!({
        "version": "0", "id": ulid::Ulid::new().to_string(), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": time,
        "region": "eu-west-1", "resources": [], "detail": {},
    })
}

/// DynamoDB Streams' JSON API on moto (no SDK for it in the workspace: four calls).
async fn streams(target: &str, body: Value) -> Value {
    let headers = [
        (
            "x-amz-target".to_string(),
            format!("DynamoDBStreams_20120810.{target}"),
        ),
        (
            "content-type".to_string(),
            "application/x-amz-json-1.0".to_string(),
        ),
        (
            "authorization".to_string(),
            "AWS4-HMAC-SHA256 Credential=test/20261201/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0".to_string(),
        ),
    ];
    let url = format!("{}/", tests::moto_url());
    let (status, _, answer) =
        tests::http("POST", &url, &headers, body.to_string().into_bytes()).await;
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(status, 200, "{target}: {answer}");
    answer
}

/// The table's stream as Lambda's event source mapping reads it: every shard from where
/// the last read ended.
struct Stream {
    arn: String,
    iterators: Vec<String>,
}

impl Stream {
    async fn open(table: &str) -> Self {
        let dynamo = tests::dynamo_client().await;
        let described = dynamo
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let arn = described
            .table()
            .unwrap()
            .latest_stream_arn()
            .unwrap()
            .to_string();
        let stream = streams("DescribeStream", json!({"StreamArn": arn})).await;
        let mut iterators = Vec::new();
        for shard in stream["StreamDescription"]["Shards"].as_array().unwrap() {
            let iterator = streams(
                "GetShardIterator",
                // As the template's mappings start: at the end, when they are made.
                json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "LATEST"}),
            )
            .await;
            iterators.push(iterator["ShardIterator"].as_str().unwrap().to_string());
        }
        Self { arn, iterators }
    }

    /// The records written since the last read, as Lambda's event carries them.
    async fn read(&mut self) -> Vec<Value> {
        let mut records = Vec::new();
        for iterator in &mut self.iterators {
            let batch = streams("GetRecords", json!({"ShardIterator": iterator})).await;
            for record in batch["Records"].as_array().unwrap() {
                let mut record = record.clone();
                record["eventSourceARN"] = self.arn.clone().into();
                records.push(record);
            }
            *iterator = batch["NextShardIterator"].as_str().unwrap().to_string();
        }
        records
    }
}

/// The stream's consumers as the template wires them: the binary, its filter patterns
/// and its batch size.
fn stream_consumers() -> Vec<(String, Vec<Value>, usize)> {
    resources()
        .into_iter()
        .filter(|resource| resource.text.contains("          Type: DynamoDB\n"))
        .map(|resource| {
            let field = |name: &str| {
                resource
                    .text
                    .lines()
                    .find_map(|line| line.trim().strip_prefix(name))
                    .map(|value| value.trim().to_string())
                    .unwrap_or_else(|| panic!("{} has no {name}", resource.name))
            };
            let binary = field("Binary:");
            let batch = field("BatchSize:").parse().unwrap();
            (binary, patterns(&resource.name), batch)
        })
        .collect()
}

/// Lambda's side of the stream: until the stream is quiet, each consumer gets the new
/// records its filters match, in batches, and must report no failed record.
async fn drain(stream: &mut Stream) -> usize {
    let consumers = stream_consumers();
    let mut delivered = 0;
    loop {
        let records = stream.read().await;
        if records.is_empty() {
            return delivered;
        }
        for (binary, filters, batch) in &consumers {
            let matched: Vec<&Value> = records
                .iter()
                .filter(|record| filters.iter().any(|p| matches(p, Some(record))))
                .collect();
            for chunk in matched.chunks(*batch) {
                let answer = invoke(binary, &json!({ "Records": chunk })).await;
                assert_eq!(answer["batchItemFailures"], json!([]), "{binary}: {answer}");
                delivered += chunk.len();
            }
        }
    }
}

/// The active receipt rule set as moto keeps it (SES's query API: no SDK for SES v1 in
/// the workspace): where its rule stores mail, for whom. (Its Lambda action is the
/// harness's to do: stage.py says why.)
struct ReceiptRule {
    bucket: String,
    prefix: String,
    recipients: Vec<String>,
}

async fn active_receipt_rule() -> ReceiptRule {
    let headers = [
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        ),
        (
            "authorization".to_string(),
            "AWS4-HMAC-SHA256 Credential=test/20261201/eu-west-1/ses/aws4_request, SignedHeaders=host, Signature=0".to_string(),
        ),
    ];
    let body = b"Action=DescribeActiveReceiptRuleSet&Version=2010-12-01".to_vec();
    let url = format!("{}/", tests::moto_url());
    let (status, _, answer) = tests::http("POST", &url, &headers, body).await;
    let text = String::from_utf8(answer).unwrap();
    assert_eq!(status, 200, "{text}");
    let xml = roxmltree::Document::parse(&text).unwrap();
    let texts = |name: &str| -> Vec<String> {
        xml.descendants()
            .filter(|n| n.has_tag_name(name))
            .filter_map(|n| n.text().map(str::to_string))
            .collect()
    };
    let first = |name: &str| {
        texts(name)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {name} in the active rule set: {text}"))
    };
    let recipients = xml
        .descendants()
        .filter(|n| n.has_tag_name("Recipients"))
        .flat_map(|n| n.children().filter_map(|m| m.text().map(str::to_string)))
        .collect();
    ReceiptRule {
        bucket: first("BucketName"),
        prefix: first("ObjectKeyPrefix"),
        recipients,
    }
}

/// The reply address the latest email to `recipient` carried (a test's Scan: the
/// functions never scan).
async fn reply_address_of(table: &str, recipient: &str) -> String {
    let dynamo = tests::dynamo_client().await;
    let found = dynamo
        .scan()
        .table_name(table)
        .filter_expression("begins_with(pk, :kind) AND recipient = :who")
        .expression_attribute_values(
            ":kind",
            aws_sdk_dynamodb::types::AttributeValue::S("REPLYTO#".into()),
        )
        .expression_attribute_values(
            ":who",
            aws_sdk_dynamodb::types::AttributeValue::S(recipient.into()),
        )
        .send()
        .await
        .unwrap();
    let item = found
        .items()
        .last()
        .expect("a reply address was stored for the email");
    let token = item["token"].as_s().unwrap();
    format!("reply+{token}@saypro.online")
}

/// Everything moto sent: the emails (SES) and the SMS (SNS), each as text to search.
fn sent() -> (Vec<String>, String) {
    let data = tests::moto_data();
    let emails = entries(&data["ses"]["Message"])
        .iter()
        .map(Value::to_string)
        .collect();
    (emails, data["sns"]["SMS"].to_string())
}

/// The emails to `address` whose text contains `text`.
fn count(emails: &[String], address: &str, text: &str) -> usize {
    emails
        .iter()
        .filter(|e| e.contains(address) && e.contains(text))
        .count()
}

#[tokio::test]
#[ignore = "needs the watch: bash infra/production-path.sh"]
async fn a_message_an_escalation_and_a_report_through_the_lambda_binaries() {
    let mut stream = Stream::open(&setting("SAYPRO_STAGE_TABLE")).await;
    let unique = ulid::Ulid::new().to_string().to_lowercase();
    let (agent, senior, manager) = (
        format!("agent-{unique}"),
        format!("senior-{unique}"),
        format!("manager-{unique}"),
    );
    // Staff join the directories on their first queue call.
    for (who, groups) in [
        (&agent, vec!["agent", "team-billing"]),
        (&senior, vec!["senior"]),
        (&manager, vec!["manager"]),
    ] {
        let route = ("GET", "/v1/admin/conversations");
        let (status, queue) =
            request("reply", route, &claims(who, &groups), None, "req-queue").await;
        assert_eq!(status, 200, "{queue}");
    }

    // A user writes about a payment (urgent): the agent is texted at once...
    let subject = format!("Charged twice {}", &unique[..10]);
    let request_id = format!("req-path-{unique}");
    let body = json!({"type": "support", "category": "payment", "subject": subject,
                      "body": "I paid for a premium ad twice"});
    let user = claims(&format!("user-{unique}"), &[]);
    let (status, created) = request(
        "send",
        ("POST", "/v1/conversations"),
        &user,
        Some(body),
        &request_id,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["conversation"]["priority"], "urgent");
    let started = Utc::now();
    assert!(
        drain(&mut stream).await > 0,
        "the stream carried the message"
    );
    let (emails, texts) = sent();
    assert!(texts.contains(&subject), "the agent's SMS: {texts}");
    let (agent_address, new_message) = (
        format!("{agent}@example.co.za"),
        format!("New message: {subject}"),
    );
    assert_eq!(
        count(&emails, &agent_address, &new_message),
        0,
        "the email waits to be read"
    );

    // ...and emailed once the message has stayed unread past the delay (notify's schedule).
    invoke("notify", &schedule(started + Duration::minutes(6))).await;
    drain(&mut stream).await;
    let (emails, _) = sent();
    assert_eq!(
        count(&emails, &agent_address, &new_message),
        1,
        "{emails:#?}"
    );

    // Unanswered past the urgent target: the scheduled check escalates to the senior.
    let checked = invoke("sla-check", &schedule(started + Duration::hours(5))).await;
    assert_eq!(checked["escalated_to_senior"], 1, "{checked}");
    drain(&mut stream).await;
    let (emails, texts) = sent();
    let escalated = format!("Escalated, overdue: {subject}");
    let senior_address = format!("{senior}@example.co.za");
    assert_eq!(
        count(&emails, &senior_address, &escalated),
        1,
        "{emails:#?}"
    );
    assert!(texts.contains("ESCALATED, overdue"), "{texts}");

    // The monthly report for this month, on the first of the next, to the manager.
    let next_month = Utc
        .with_ymd_and_hms(started.year(), started.month(), 1, 4, 0, 0)
        .unwrap()
        + chrono::Months::new(1);
    let delivered = invoke("reports", &schedule(next_month)).await;
    drain(&mut stream).await;
    let (emails, _) = sent();
    let manager_address = format!("{manager}@example.co.za");
    assert_eq!(
        count(&emails, &manager_address, "report"),
        1,
        "the report to the manager: {delivered}"
    );

    // The agent answers the user by replying to the email: SES's part as moto keeps it
    // (the active rule set made from the template stores mail in its bucket), then
    // inbound-email invoked as the rule's Lambda action would.
    let rule = active_receipt_rule().await;
    assert_eq!(rule.recipients, ["saypro.online"]);
    let reply_to = reply_address_of(&setting("SAYPRO_STAGE_TABLE"), &agent).await;
    let mail_id = format!("path{unique}");
    let raw = std::fs::read_to_string(format!(
        "{}/samples/email/outlook.eml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("{{FROM}}", &agent_address)
    .replace("{{REPLY_TO}}", &reply_to)
    .replace("{{ID}}", &unique)
    .replace('\n', "\r\n");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&tests::moto_config().await)
            .force_path_style(true)
            .build(),
    );
    s3.put_object()
        .bucket(&rule.bucket)
        .key(format!("{}{mail_id}", rule.prefix))
        .body(raw.into_bytes().into())
        .send()
        .await
        .unwrap();
    let sample = std::fs::read_to_string(format!(
        "{}/../events/inbound-email/ses-receipt.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("o3vrnil0e2ic28trm7dfhrc2v0clambdasample01", &mail_id)
    .replace(
        "reply+0123456789abcdefghjkmnpqrstvwx@saypro.online",
        &reply_to,
    )
    .replace("alice@example.co.za", &agent_address);
    let receipt: Value = serde_json::from_str(&sample).unwrap();
    let posted = invoke("inbound-email", &receipt).await;
    assert_eq!(posted[0]["outcome"], "posted", "{posted}");
    drain(&mut stream).await;
    let id = created["conversation"]["id"].as_str().unwrap();
    let route = ("GET", format!("/v1/admin/conversations/{id}"));
    let agent_claims = claims(&agent, &["agent", "team-billing"]);
    let (status, conversation) = request(
        "reply",
        (route.0, &route.1),
        &agent_claims,
        None,
        "req-email",
    )
    .await;
    assert_eq!(status, 200, "{conversation}");
    assert_eq!(
        conversation["status"], "pending",
        "the team's answer, by email"
    );
    // SES retries an invocation it saw fail: the same email posts nothing twice.
    let again = invoke("inbound-email", &receipt).await;
    assert_eq!(again[0]["replayed"], true, "{again}");

    // One request id from the API to the notification it caused, in the functions' logs.
    let logs = std::fs::read_to_string(setting("SAYPRO_WATCH_LOG")).unwrap();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(&request_id)).collect();
    assert!(
        lines.iter().any(|l| l.contains("answered"))
            && lines.iter().any(|l| l.contains("sms sent")),
        "the request and its SMS share {request_id}: {lines:#?}"
    );
}
