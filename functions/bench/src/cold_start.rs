//! Cold starts: each function's release binary started as Lambda starts it, against a
//! stand-in of Lambda's Runtime API on 127.0.0.1 and a table on moto server, beside the
//! hello-world lambda_http binary (`floor`, the floor). Reported per function: the
//! binary's size (and its arm64 zip's, where `make package` left one), the time to its
//! first `invocation/next` (init, the table's warm-up read included), the warm-up's
//! round trip (its wait on moto, timed by a proxy in front of it), init less that, and
//! the time to its first answer.
//!
//! Measured here, not on Lambda: Lambda adds its own sandbox start and the download of
//! the zip, which a smaller zip shortens.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::mpsc;

/// Each function with the event its first invocation gets (a sample from events/).
const FUNCTIONS: [(&str, &str); 9] = [
    ("floor", "http/health.json"),
    ("send", "http/health.json"),
    ("reply", "http/admin-queue.json"),
    ("listings", "http/put-listing.json"),
    ("reports", "http/admin-list-reports.json"),
    ("notify", "notify/schedule.json"),
    ("sla-check", "sla-check/schedule.json"),
    ("broadcast", "broadcast/stream-conversation-created.json"),
    ("realtime", "realtime/disconnect.json"),
];
const RUNS: usize = 15;

/// What the stand-in Runtime API saw, in order.
enum Seen {
    Next,
    Answered,
    Failed(String),
}

pub async fn cold_starts() -> anyhow::Result<()> {
    println!(
        "== cold starts: release binaries on a stand-in Runtime API, the table on moto ({RUNS} rounds of every function, medians)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let moto = Moto::start(&root).await?;
    let table = format!("bench-cold-{}", std::process::id());
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(common::lambda::https_client())
        .endpoint_url(&moto.url)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "bench", "bench", None, None, "bench",
        ))
        .load()
        .await;
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    common::store::table::dynamo::DynamoTable::create_table(&dynamo, &table).await?;
    println!(
        "{:<10} {:>9} {:>10} {:>9} {:>9} {:>14} {:>13}",
        "function", "binary", "arm64 zip", "init", "warm-up", "init-warm-up", "first answer"
    );
    let mut starts = Vec::new();
    for (function, event) in FUNCTIONS {
        let binary = root.join("target/release").join(function);
        if !binary.exists() {
            bail!("{} is missing: `make bench` builds it", binary.display());
        }
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("events").join(event))?)?;
        starts.push((function, binary, event, Vec::new()));
    }
    // Round by round, each function once a round: a busier spell of the machine falls
    // on every function alike, the floor included, and leaves the ratios alone.
    for _ in 0..RUNS {
        for (_, binary, event, runs) in &mut starts {
            runs.push(start_once(binary, event, &moto.url, &table).await?);
        }
    }
    let mut floor = None;
    for (function, binary, _, runs) in &starts {
        let init = median(runs.iter().map(|run| run.init).collect());
        let wait = median(runs.iter().map(|run| run.warm_up).collect());
        let own = median(runs.iter().map(|run| run.own()).collect());
        let answer = median(runs.iter().map(|run| run.answer).collect());
        let floor = *floor.get_or_insert(own);
        println!(
            "{function:<10} {:>9} {:>10} {:>9} {:>9} {:>8} {:>4.1}× {:>13}",
            megabytes(std::fs::metadata(binary)?.len()),
            zip_size(&root, function),
            ms(init),
            ms(wait),
            ms(own),
            own.as_secs_f64() / floor.as_secs_f64(),
            ms(answer),
        );
    }
    Ok(())
}

/// One cold start's times, from the spawn.
struct Run {
    /// To the first `invocation/next`.
    init: Duration,
    /// The first request's wait on moto (none for the floor, which reads no table).
    warm_up: Duration,
    /// To the first answer.
    answer: Duration,
}

impl Run {
    /// Init less the warm-up's round trip: the function's own start.
    fn own(&self) -> Duration {
        self.init.saturating_sub(self.warm_up)
    }
}

/// One cold start: the binary spawned with Lambda's environment, its AWS endpoint a
/// timing proxy in front of moto.
async fn start_once(binary: &Path, event: &Value, moto: &str, table: &str) -> anyhow::Result<Run> {
    let (seen, mut heard) = mpsc::unbounded_channel();
    let api = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(answered),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(failed))
        .route("/2018-06-01/runtime/init/error", post(failed))
        .with_state(Api {
            seen,
            event: Arc::new(event.clone()),
            handed: Arc::default(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, api).await });
    let proxy = TimingProxy::start(moto).await?;
    let name = binary
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("function");
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(lambda_environment(
            name,
            &address.to_string(),
            &proxy.url,
            table,
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start {}", binary.display()))?;
    let mut init = None;
    let outcome = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(seen) = heard.recv().await {
            match seen {
                Seen::Next if init.is_none() => {
                    init = Some((started.elapsed(), proxy.first_wait()));
                }
                Seen::Next => {}
                Seen::Answered => return Ok(started.elapsed()),
                Seen::Failed(error) => bail!("{name} failed: {error}"),
            }
        }
        bail!("{name}: the Runtime API stopped")
    })
    .await
    .with_context(|| format!("{name} did not answer within 20 s"))?;
    child.kill().await.ok();
    server.abort();
    proxy.task.abort();
    let answer = outcome?;
    let (init, warm_up) = init.unwrap_or((answer, Duration::ZERO));
    Ok(Run {
        init,
        warm_up,
        answer,
    })
}

/// A TCP proxy to moto that times the first request through it: from its first byte
/// in to moto's first byte back. A function's first request is its warm-up read, so
/// that is the round trip its init is measured without; what the function does to
/// make the request (its client, TLS roots, endpoint rules, signing) stays its own.
struct TimingProxy {
    url: String,
    first: Arc<std::sync::Mutex<FirstRequest>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct FirstRequest {
    sent: Option<Instant>,
    wait: Option<Duration>,
}

impl TimingProxy {
    async fn start(moto: &str) -> anyhow::Result<Self> {
        let upstream = moto
            .strip_prefix("http://")
            .context("moto's URL is not http://")?
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let first = Arc::new(std::sync::Mutex::new(FirstRequest::default()));
        let timing = first.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, first) = (upstream.clone(), timing.clone());
                tokio::spawn(async move {
                    if let Ok(server) = tokio::net::TcpStream::connect(&upstream).await {
                        relay(client, server, first).await;
                    }
                });
            }
        });
        Ok(Self { url, first, task })
    }

    /// The first request's wait, zero if none was made.
    fn first_wait(&self) -> Duration {
        self.first
            .lock()
            .map(|first| first.wait.unwrap_or_default())
            .unwrap_or_default()
    }
}

/// Copies both ways until either side closes, noting the first request's times.
async fn relay(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    first: Arc<std::sync::Mutex<FirstRequest>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut client_in, mut client_out) = client.into_split();
    let (mut server_in, mut server_out) = server.into_split();
    let requests = {
        let first = first.clone();
        async move {
            let mut buffer = vec![0; 16 * 1024];
            while let Ok(read @ 1..) = client_in.read(&mut buffer).await {
                if let Ok(mut first) = first.lock() {
                    first.sent.get_or_insert_with(Instant::now);
                }
                if server_out.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
        }
    };
    let answers = async move {
        let mut buffer = vec![0; 16 * 1024];
        while let Ok(read @ 1..) = server_in.read(&mut buffer).await {
            if let Ok(mut first) = first.lock()
                && let (Some(sent), None) = (first.sent, first.wait)
            {
                first.wait = Some(sent.elapsed());
            }
            if client_out.write_all(&buffer[..read]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = requests => {}
        () = answers => {}
    }
}

/// One run's stand-in Runtime API: what it reports, the event, whether it was handed.
#[derive(Clone)]
struct Api {
    seen: mpsc::UnboundedSender<Seen>,
    event: Arc<Value>,
    handed: Arc<AtomicBool>,
}

/// The first `next` hands over the event; later ones (the function waiting for its
/// second invocation) are held until the process is stopped.
async fn next(State(api): State<Api>) -> (HeaderMap, String) {
    api.seen.send(Seen::Next).ok();
    if api.handed.swap(true, Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
    let mut headers = HeaderMap::new();
    let deadline = chrono::Utc::now().timestamp_millis() + 10_000;
    for (name, value) in [
        ("lambda-runtime-aws-request-id", "bench-request".to_string()),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:bench".to_string(),
        ),
        ("lambda-runtime-trace-id", "Root=1-bench".to_string()),
    ] {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    (headers, api.event.to_string())
}

async fn answered(State(api): State<Api>) -> &'static str {
    api.seen.send(Seen::Answered).ok();
    "{}"
}

async fn failed(State(api): State<Api>, body: String) -> &'static str {
    api.seen.send(Seen::Failed(body)).ok();
    "{}"
}

/// What Lambda sets, and what the template gives every function.
fn lambda_environment(
    function: &str,
    runtime_api: &str,
    moto: &str,
    table: &str,
) -> Vec<(&'static str, String)> {
    let mut environment = vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function}"),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".to_string()),
        ("AWS_REGION", "eu-west-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "bench".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "bench".to_string()),
        ("AWS_ENDPOINT_URL", moto.to_string()),
        ("TABLE_NAME", table.to_string()),
        ("RUST_LOG", "info".to_string()),
        // As the template sets it (there, Amazon Linux's bundle): one file of roots.
        (
            "SSL_CERT_FILE",
            "/etc/ssl/certs/ca-certificates.crt".to_string(),
        ),
    ];
    for (name, value) in [
        ("SES_FROM", "SayPro <messages@saypro.test>"),
        ("SITE_URL", "https://www.saypro.test"),
        ("UNSUBSCRIBE_URL", "https://www.saypro.test/account"),
        ("SMS_MAX_PRICE_USD", "0.50"),
        ("SMS_SENDER_ID", "SayPro"),
        ("SMS_DAILY_CAP", "500"),
        // Named only: the disconnect event pushes to no one.
        (
            "REALTIME_URL",
            "wss://bench.execute-api.eu-west-1.amazonaws.com/bench",
        ),
    ] {
        environment.push((name, value.to_string()));
    }
    environment
}

/// Moto server for the table: the one at `SAYPRO_MOTO_URL`, or one started from the
/// project's venv (`make test` or `bash infra/bootstrap.sh` installs it).
struct Moto {
    url: String,
    _process: Option<tokio::process::Child>,
}

impl Moto {
    async fn start(root: &Path) -> anyhow::Result<Self> {
        if let Ok(url) = std::env::var("SAYPRO_MOTO_URL") {
            return Ok(Self {
                url,
                _process: None,
            });
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server: PathBuf = root.join(".venv/bin/moto_server");
        let process = tokio::process::Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("start {} (run `bash infra/bootstrap.sh`)", server.display())
            })?;
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(Self {
                    url,
                    _process: Some(process),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("moto server did not start on port {port}")
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(time: Duration) -> String {
    format!("{:.1} ms", time.as_secs_f64() * 1000.0)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// The arm64 zip `make package` made, if it did.
fn zip_size(root: &Path, function: &str) -> String {
    std::fs::metadata(
        root.join("target/lambda-zips")
            .join(format!("{function}.zip")),
    )
    .map(|zip| megabytes(zip.len()))
    .unwrap_or_else(|_| "-".to_string())
}
