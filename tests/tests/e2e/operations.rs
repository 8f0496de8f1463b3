//! What operators and load balancers see: the health check, request ids on every answer,
//! and overload answered as overload (503 `unavailable` with Retry-After), against a
//! stand-in of DynamoDB's HTTP API that throttles every call (moto never throttles).

use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use common::store::table::dynamo::DynamoTable;
use serde_json::{Value, json};
use tests::TestApp;

/// A stand-in of DynamoDB on this machine that answers every call with
/// `ProvisionedThroughputExceededException`; the operations (`X-Amz-Target`) it was asked.
fn throttling_dynamodb() -> (String, Arc<Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let Ok(mut writer) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                // Every request on the connection (the SDK keeps it alive).
                loop {
                    let (mut length, mut target) = (0, String::new());
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            match name.to_ascii_lowercase().as_str() {
                                "content-length" => length = value.trim().parse().unwrap_or(0),
                                "x-amz-target" => target = value.trim().to_string(),
                                _ => {}
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    log.lock().unwrap().push(target);
                    let answer = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;
                    let response = format!(
                        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\n\
                         content-length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if writer.write_all(response.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, asked)
}

/// The API on a table whose client is built as the functions build theirs (the same
/// retries), against `url`.
fn api_on(url: &str) -> TestApp {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("af-south-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .retry_config(common::lambda::retry_config())
        .http_client(common::lambda::https_client())
        .endpoint_url(url)
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    TestApp::on(Arc::new(DynamoTable::new(client, "saypro")))
}

#[tokio::test]
async fn the_health_check_answers_ok_without_a_token_and_tells_nothing_else() {
    let app = TestApp::in_memory();
    let (code, headers, body) = app
        .exchange(Method::GET, "/v1/health", None, None, &[])
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"status": "ok"}));
    assert!(headers.contains_key("x-request-id"));
    // A token changes nothing.
    let alice = app.token("alice", &[]);
    let (code, body) = app.get("/v1/health", &alice).await;
    assert_eq!((code, body), (StatusCode::OK, json!({"status": "ok"})));
}

#[tokio::test]
async fn a_throttled_table_is_unavailable_with_retry_after_and_nothing_is_written() {
    let (url, asked) = throttling_dynamodb();
    let app = api_on(&url);

    let (code, headers, body) = app
        .exchange(Method::GET, "/v1/health", None, None, &[])
        .await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body, json!({"status": "unavailable"}));
    assert_eq!(headers["retry-after"], "2");
    // The health check gives up after 2 s, maybe before the SDK's third try: count only
    // what the request below asks.
    asked.lock().unwrap().clear();

    let alice = app.token("alice", &[]);
    let request =
        json!({"type": "support", "category": "general", "subject": "Help", "body": "Hello"});
    let (code, headers, body) = app
        .exchange(
            Method::POST,
            "/v1/conversations",
            Some(&alice),
            Some(request),
            &[],
        )
        .await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(headers["retry-after"], "2");
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(body["error"]["request_id"], id);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("Throughput") && !message.contains("dynamodb"),
        "nothing internal is told: {message}"
    );

    let asked = asked.lock().unwrap().clone();
    assert!(!asked.is_empty());
    // Each call was tried the configured three times, and none of them was taken.
    assert_eq!(asked.len() % 3, 0, "{asked:?}");
    assert!(
        asked
            .chunks(3)
            .all(|tries| tries.iter().all(|t| *t == tries[0])),
        "{asked:?}"
    );
}

#[tokio::test]
async fn every_answer_carries_its_request_id_and_a_callers_is_taken_only_if_plain() {
    let app = TestApp::in_memory();
    let alice = app.token("alice", &[]);
    // An error: the id is in the body and the header.
    let (code, headers, body) = app
        .exchange(
            Method::GET,
            "/v1/conversations/nope",
            Some(&alice),
            None,
            &[],
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(body["error"]["request_id"], id);
    // A success: the header.
    let (_, other, _) = app
        .exchange(Method::GET, "/v1/conversations", Some(&alice), None, &[])
        .await;
    assert_ne!(other["x-request-id"], id, "each request has its own");
    // The dev server takes the caller's own id when it is plain and short.
    let given = [("x-request-id", "load-test-0042_a")];
    let (_, headers, body) = app
        .exchange(
            Method::GET,
            "/v1/conversations/nope",
            Some(&alice),
            None,
            &given,
        )
        .await;
    assert_eq!(headers["x-request-id"], "load-test-0042_a");
    assert_eq!(body["error"]["request_id"], "load-test-0042_a");
    let long = "a".repeat(65);
    for bad in ["thandi@example.org", "a b", long.as_str()] {
        let (_, headers, body) = app
            .exchange(
                Method::GET,
                "/v1/conversations/nope",
                Some(&alice),
                None,
                &[("x-request-id", bad)],
            )
            .await;
        assert_ne!(headers["x-request-id"], bad);
        assert_ne!(body["error"]["request_id"], Value::from(bad));
    }
    // Also on routes no one serves.
    let (code, headers, body) = app
        .exchange(Method::GET, "/v1/no-such-route", None, None, &[])
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"]["request_id"],
        headers["x-request-id"].to_str().unwrap()
    );
}
