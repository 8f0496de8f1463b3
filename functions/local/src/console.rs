//! The admin console on the dev server, at `/console/`: the build in `web/dist/console`
//! (`npm run build` in `web/`, which `make run` does), its runtime settings at
//! `/console/config.json` (this server's API, and the demo people to sign in as), and
//! the headers a deployment serves it with: a strict Content Security Policy, no
//! sniffing, no framing.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Extension;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use common::domain::clock::{Clock, SystemClock};
use serde_json::json;

use crate::demo;

/// Where the console's build is and what its settings say.
#[derive(Clone)]
pub struct Site {
    pub dir: PathBuf,
    /// The dev server's own address (`http://127.0.0.1:3000`).
    pub base_url: String,
    pub secret: String,
    /// Sign in with a Cognito user pool's Hosted UI instead of the demo people: its
    /// origin and the console's app client id.
    pub cognito: Option<(String, String)>,
}

/// The console's routes (not the API's: they are not in the OpenAPI document).
pub fn router(site: Site) -> axum::Router {
    axum::Router::new()
        .route(
            "/console",
            axum::routing::get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", axum::routing::get(index))
        .route("/console/config.json", axum::routing::get(config))
        .route("/console/{*path}", axum::routing::get(file))
        .layer(Extension(Arc::new(site)))
}

/// What the console may load and connect to: its own files, and this server's API and
/// socket. No inline script or style, no other origin, no framing.
fn policy(site: &Site) -> String {
    let socket = site.base_url.replacen("http", "ws", 1);
    // The Hosted UI's token endpoint, where the console exchanges its code.
    let auth = site
        .cognito
        .as_ref()
        .map_or("", |(domain, _)| domain.as_str());
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self' {socket} {auth}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

fn served(site: &Site, content_type: &str, cache: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, cache.to_string()),
            (header::CONTENT_SECURITY_POLICY, policy(site)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::REFERRER_POLICY, "no-referrer".to_string()),
            (header::X_FRAME_OPTIONS, "DENY".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn index(Extension(site): Extension<Arc<Site>>) -> Response {
    match tokio::fs::read(site.dir.join("index.html")).await {
        Ok(page) => served(&site, "text/html; charset=utf-8", "no-cache", page),
        Err(_) => (
            StatusCode::NOT_FOUND,
            format!(
                "The console is not built: run `npm ci && npm run build` in web/ (`make run` does), \
                 then reload. (Looked in {}.)",
                site.dir.display()
            ),
        )
            .into_response(),
    }
}

/// The settings the page reads first: the API is this server; sign-in offers the demo
/// people (tokens for 12 hours) and a pasted token, or the Cognito Hosted UI.
async fn config(Extension(site): Extension<Arc<Site>>) -> Response {
    if let Some((domain, client_id)) = &site.cognito {
        let redirect = format!("{}/console/", site.base_url);
        let sign_in = json!({"kind": "cognito", "domain": domain, "client_id": client_id, "redirect_uri": redirect});
        let settings = json!({"api": "", "sign_in": sign_in});
        return served(
            &site,
            "application/json",
            "no-store",
            settings.to_string().into_bytes(),
        );
    }
    let now = SystemClock.now();
    let demo: Vec<_> = demo::PEOPLE
        .iter()
        .filter(|_| on_this_machine(&site.base_url))
        .filter(|p| {
            p.groups
                .iter()
                .any(|g| ["agent", "senior", "manager", "moderator", "finance"].contains(g))
        })
        .map(|person| {
            let (name, role) = person
                .name
                .split_once(" (")
                .map_or((person.name, ""), |(n, r)| (n, r.trim_end_matches(')')));
            let token = crate::mint_token(demo::claims(person), &site.secret, now, 12);
            json!({"name": name, "role": role, "token": token})
        })
        .collect();
    let settings = json!({"api": "", "sign_in": {"kind": "local", "demo": demo}});
    served(
        &site,
        "application/json",
        "no-store",
        settings.to_string().into_bytes(),
    )
}

/// Whether this server listens on this machine only. Tokens for the demo people go only
/// there: a dev server listening elsewhere (with a secret of its own) must not hand a
/// manager's token to whoever asks.
pub(crate) fn on_this_machine(base_url: &str) -> bool {
    ["http://127.", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| base_url.starts_with(p))
}

/// A file of the build; any other path is a page of the console (its index).
async fn file(Extension(site): Extension<Arc<Site>>, Path(path): Path<String>) -> Response {
    let safe = !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if !safe {
        return StatusCode::NOT_FOUND.into_response();
    }
    let content_type = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        _ => return index(Extension(site)).await,
    };
    match tokio::fs::read(site.dir.join(&path)).await {
        // Built files carry their content's hash in their names: they never change.
        Ok(body) => served(
            &site,
            content_type,
            "public, max-age=31536000, immutable",
            body,
        ),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
