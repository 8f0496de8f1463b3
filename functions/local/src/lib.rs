//! The dev server: every HTTP function in one process on the embedded store, with dev
//! tokens and demo data, so the whole system runs on one machine with no AWS account.

pub mod bench;
pub mod demo;

use std::path::Path;
use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use common::auth::{Claims, jwt};
use common::clock::{Clock, SystemClock};
use common::http::Routes;
use common::table::Table;
use common::table::embedded::EmbeddedTable;
use common::{App, AppState, IdentitySource};

/// The secret local tokens are signed with unless `SAYPRO_JWT_SECRET` is set. For local
/// use only: deployed functions never see it (API Gateway verifies Cognito's tokens).
pub const DEFAULT_JWT_SECRET: &str = "saypro-local-dev-secret";

/// Every route of every HTTP function, plus the dev server's own.
pub fn routes() -> Routes {
    send::routes()
        .merge(reply::routes())
        .merge(listings::routes())
        .route(axum::http::Method::GET, "/openapi.json", get(openapi))
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        common::OPENAPI,
    )
}

pub fn router(app: AppState) -> axum::Router {
    routes().into_router(app)
}

/// The local application: the given table and clock, HS256 tokens with `secret`.
pub fn local_app(table: Arc<dyn Table>, clock: Arc<dyn Clock>, secret: &str) -> AppState {
    Arc::new(App::new(
        table,
        clock,
        IdentitySource::Hs256 {
            secret: secret.as_bytes().to_vec(),
        },
    ))
}

/// The durable embedded table in `data`, or a memory-only one.
pub fn open_table(data: Option<&Path>) -> anyhow::Result<Arc<EmbeddedTable>> {
    Ok(Arc::new(match data {
        Some(dir) => EmbeddedTable::open(dir)?,
        None => EmbeddedTable::in_memory(),
    }))
}

/// A dev token valid for `hours`.
pub fn mint_token(mut claims: Claims, secret: &str, hours: i64) -> String {
    claims.exp = Some(SystemClock.now().timestamp() + hours * 3600);
    jwt::sign(&claims, secret.as_bytes())
}

/// Serves `router` on `listener` until Ctrl-C (or SIGTERM).
pub async fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> anyhow::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
