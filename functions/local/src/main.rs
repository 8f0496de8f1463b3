//! `local`: run the whole system on this machine, and mint dev tokens.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use common::domain::clock::{Clock, SystemClock};
use common::domain::identity::Claims;
use common::store::table::embedded::EmbeddedTable;
use local::{DEFAULT_JWT_SECRET, demo};
use tracing::instrument::WithSubscriber;

#[derive(Parser)]
#[command(
    name = "local",
    about = "SayPro messaging on this machine: the dev server and dev tokens"
)]
struct Cli {
    /// Secret that signs and verifies local HS256 tokens.
    #[arg(long, env = "SAYPRO_JWT_SECRET", default_value = DEFAULT_JWT_SECRET, global = true, hide_default_value = true)]
    secret: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every HTTP route on one port, on the embedded store.
    Serve {
        #[arg(long, env = "SAYPRO_ADDR", default_value = "127.0.0.1:3000")]
        addr: String,
        /// Folder of the durable data file.
        #[arg(long, env = "SAYPRO_DATA", default_value = "./.saypro-data")]
        data: PathBuf,
        /// Keep everything in memory (nothing survives a restart).
        #[arg(long)]
        memory: bool,
        /// Seed demo listings, users, agents and conversations (once per data folder) and
        /// print tokens for them.
        #[arg(long)]
        demo: bool,
        /// The admin console's build, served at /console/.
        #[arg(long, env = "SAYPRO_CONSOLE_DIR", default_value = "web/dist/console")]
        console_dir: PathBuf,
        /// The website's widget build, served at /widget/ (and on the demo site,
        /// /local/site/).
        #[arg(long, env = "SAYPRO_WIDGET_DIR", default_value = "web/dist/widget")]
        widget_dir: PathBuf,
        /// Sign in to the console with this Cognito Hosted UI (its origin) instead of the
        /// demo people; with --cognito-client-id.
        #[arg(long, env = "SAYPRO_COGNITO_DOMAIN", requires = "cognito_client_id")]
        cognito_domain: Option<String>,
        /// The console's app client id in that user pool.
        #[arg(long, env = "SAYPRO_COGNITO_CLIENT_ID", requires = "cognito_domain")]
        cognito_client_id: Option<String>,
        /// Minutes a message's email waits to be read in the app first (0: at once).
        #[arg(long, env = "SAYPRO_EMAIL_DELAY_MINUTES", default_value_t = common::domain::preferences::DEFAULT_EMAIL_DELAY_MINUTES)]
        email_delay_minutes: i64,
    },
    /// Print a dev token (HS256) for trying the API by hand.
    Token {
        #[arg(long)]
        sub: String,
        /// Comma-separated groups, e.g. agent,team-support or service.
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        tier: Option<String>,
        /// When the account was created (Unix seconds or RFC 3339): a recent one gets
        /// the new-account rate limits.
        #[arg(long)]
        joined_at: Option<String>,
        /// Hours until the token expires (1 to 24).
        #[arg(long, default_value_t = 12)]
        hours: i64,
    },
    /// Print the OpenAPI document of every route (what `GET /openapi.json` serves).
    Openapi,
    /// Run one SLA check on the running dev server, as if the schedule fired at `--at`
    /// (try escalations by hand without waiting hours).
    SlaCheck {
        /// RFC 3339, e.g. 2026-11-24T15:00:00+02:00; now if absent.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
        #[arg(long, env = "SAYPRO_ADDR", default_value = "127.0.0.1:3000")]
        addr: String,
    },
    /// Back up a data folder (its table and uploads) into a new folder; safe while
    /// `serve` runs on it: the copy holds every write acknowledged before it began.
    Backup {
        #[arg(long, default_value = ".saypro-data")]
        data: PathBuf,
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a new data folder, and check it (items per kind, a sample
    /// of conversations read back).
    Restore {
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        data: PathBuf,
    },
    /// DynamoDB (the AWS environment's credentials and region): restore table `--from`
    /// as it was at `--at` (the latest restorable time if absent) into the new table
    /// `--to`, and check it.
    RestoreTable {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// DynamoDB: items per kind in `--table`, and a sample of conversations read back.
    CheckTable {
        #[arg(long)]
        table: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Token {
            sub,
            groups,
            email,
            phone,
            name,
            tier,
            joined_at,
            hours,
        } => {
            let claims = Claims {
                sub,
                email,
                name,
                phone_number: phone,
                groups,
                tier,
                joined_at,
                ..Claims::default()
            };
            anyhow::ensure!(
                (1..=24).contains(&hours),
                "--hours: 1 to 24 (tokens live at most a day)"
            );
            println!(
                "{}",
                local::mint_token(claims, &cli.secret, SystemClock.now(), hours)
            );
            Ok(())
        }
        Command::Serve {
            addr,
            data,
            memory,
            demo,
            console_dir,
            widget_dir,
            cognito_domain,
            cognito_client_id,
            email_delay_minutes,
        } => {
            init_tracing();
            let data = (!memory).then_some(data.as_path());
            let table = local::open_table(data)?;
            let address: std::net::SocketAddr = addr
                .parse()
                .with_context(|| format!("--addr {addr}: an IP address and port"))?;
            local::may_listen(address, &cli.secret)?;
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("binding {addr}"))?;
            let base_url = format!("http://{}", listener.local_addr()?);
            let system = local::Local::new(
                table.clone(),
                Arc::new(SystemClock),
                &cli.secret,
                data,
                &base_url,
            )
            .with_email_delay(email_delay_minutes);
            let seeding = demo && demo::claim(table.as_ref()).await?;
            // Last month first, its feed processed as it is made; the live consumers' feed
            // starts after it, so nothing is processed twice.
            if seeding {
                seed_last_month(&table, &cli.secret, &system).await?;
            }
            system.spawn_stream_consumers(table.stream());
            system.spawn_schedule(std::time::Duration::from_secs(60));
            system.spawn_expiry(table, std::time::Duration::from_secs(60));
            if seeding {
                demo::seed(&system.app).await.context("seeding demo data")?;
            }
            if demo {
                print_demo_tokens(&cli.secret, seeding);
            }
            let where_ = match data {
                None => "in memory".to_string(),
                Some(folder) => format!("data in {}", folder.display()),
            };
            let console = local::console::router(local::console::Site {
                dir: console_dir,
                base_url: base_url.clone(),
                secret: cli.secret.clone(),
                cognito: cognito_domain.zip(cognito_client_id),
            });
            let site = local::site::router(local::site::DemoSite {
                app: system.app.clone(),
                base_url: base_url.clone(),
                secret: cli.secret.clone(),
                widget_dir,
            });
            tracing::info!(
                "SayPro messaging listening on {base_url} ({where_}); the console: {base_url}/console/; the demo site: {base_url}/local/site/"
            );
            local::serve(listener, system.metered_router().merge(console).merge(site)).await
        }
        Command::Backup { data, to } => {
            let bytes = local::backup::backup(&data, &to)?;
            println!(
                "backed up {} ({bytes} bytes of journal) to {}",
                data.display(),
                to.display()
            );
            Ok(())
        }
        Command::Restore { from, data } => {
            let checked = local::backup::restore(&from, &data).await?;
            println!("{}", serde_json::to_string_pretty(&checked)?);
            Ok(())
        }
        Command::RestoreTable { from, to, at } => {
            let client = aws_sdk_dynamodb::Client::new(&common::lambda::operator_aws().await);
            let at = at.map(|t| t.to_utc());
            let checked = local::backup::restore_table(&client, &from, &to, at).await?;
            println!("{}", serde_json::to_string_pretty(&checked)?);
            Ok(())
        }
        Command::CheckTable { table } => {
            let client = aws_sdk_dynamodb::Client::new(&common::lambda::operator_aws().await);
            let checked = local::backup::check_table(&client, &table).await?;
            println!("{}", serde_json::to_string_pretty(&checked)?);
            Ok(())
        }
        Command::Openapi => {
            println!("{}", local::openapi_document());
            Ok(())
        }
        Command::SlaCheck { at, addr } => {
            let body = serde_json::json!({ "time": at });
            let outcome = local::post_json(&addr, "/local/sla-check", &body)
                .await
                .with_context(|| format!("is `local serve` running on {addr}?"))?;
            println!("{outcome}");
            Ok(())
        }
    }
}

async fn seed_last_month(
    table: &Arc<EmbeddedTable>,
    secret: &str,
    system: &local::Local,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // A month of hourly SLA checks logs a month of lines: only its warnings show.
    let quiet = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_target(false)
        .finish();
    let now = SystemClock.now();
    let month = demo::last_month::seed(table.clone(), secret, now, system.meter.clone())
        .with_subscriber(quiet)
        .await
        .context("seeding last month's demo data")?;
    tracing::info!(
        month = month.month,
        conversations = month.conversations,
        requests = month.requests,
        escalations = month.escalations,
        "demo: last month seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_demo_tokens(secret: &str, seeded: bool) {
    println!(
        "demo data {}; tokens valid 12 hours:",
        if seeded { "seeded" } else { "already present" }
    );
    for person in demo::PEOPLE {
        let token = local::mint_token(demo::claims(person), secret, SystemClock.now(), 12);
        println!("  {:<12} {:<28} {token}", person.sub, person.name);
    }
}

fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .init();
}
