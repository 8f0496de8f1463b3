//! A demo classifieds site at `/local/site/`, the stage the widget plays on: a sign-in
//! page (a **Token** field, and the demo users), the registered active listings, a page
//! per listing and a profile page. Each embeds the widget exactly as
//! `docs/website.md#the-widget` tells the real site to: the script from `/widget/`, one
//! `SayProMessaging.start` call with the site's token callback, and the marks where
//! the buttons go. The site's own stylesheet is deliberately hostile, to prove the widget
//! is not touched by it.
//!
//! It reads listings as the website's backend would (its `service` token, through the
//! API's operations); it stands for the site, so it has no Content Security Policy of
//! ours (the snippet's inline start call is the site's own).

use std::path::PathBuf;
use std::sync::Arc;

use axum::Extension;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use common::AppState;
use common::domain::ListingStatus;
use common::domain::clock::{Clock, SystemClock};

use crate::console::on_this_machine;
use crate::demo;

pub struct DemoSite {
    pub app: AppState,
    /// The dev server's own address: the API the widget calls.
    pub base_url: String,
    pub secret: String,
    /// The widget's build (`web/dist/widget`).
    pub widget_dir: PathBuf,
}

pub fn router(site: DemoSite) -> axum::Router {
    axum::Router::new()
        .route(
            "/local/site",
            axum::routing::get(|| async { Redirect::permanent("/local/site/") }),
        )
        .route("/local/site/", axum::routing::get(home))
        .route("/local/site/listings/{id}", axum::routing::get(listing))
        .route("/local/site/profile", axum::routing::get(profile))
        .route("/local/site/site.css", axum::routing::get(stylesheet))
        .route("/local/site/site.js", axum::routing::get(script))
        .route("/widget/{file}", axum::routing::get(widget))
        .layer(Extension(Arc::new(site)))
}

/// Text for HTML: what the site shows is data, never markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page of the site, with the widget embedded as the guide says.
fn page(site: &DemoSite, title: &str, body: &str) -> Html<String> {
    let api = escape(&site.base_url);
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · SayPro Classifieds (demo)</title>
<link rel="stylesheet" href="/local/site/site.css">
</head>
<body>
<header>
<nav aria-label="Site"><a href="/local/site/">SayPro Classifieds</a> · <a href="/local/site/profile">My profile</a> · <span id="who"></span> · <button type="button" id="sign-out">Sign out</button></nav>
</header>
<main>
<h1>{title}</h1>
{body}
</main>
<script src="/local/site/site.js"></script>
<!-- The widget, as docs/website.md tells the site to embed it. -->
<script src="/widget/saypro-messaging.js"></script>
<script>
  SayProMessaging.start({{
    api: "{api}",
    token: () => demoSite.token(),
    signIn: () => demoSite.signIn(),
  }});
</script>
</body>
</html>
"#,
        title = escape(title),
    ))
}

/// Sign-in, and the active listings.
async fn home(Extension(site): Extension<Arc<DemoSite>>) -> Response {
    let now = SystemClock.now();
    let people: String = demo::PEOPLE
        .iter()
        .filter(|_| on_this_machine(&site.base_url))
        .filter(|p| p.groups.is_empty())
        .map(|person| {
            let token = crate::mint_token(demo::claims(person), &site.secret, now, 12);
            format!(
                r#"<li><button type="button" data-demo-token="{token}">Sign in as {}</button></li>"#,
                escape(person.name)
            )
        })
        .collect();
    let mut listings = String::new();
    for demo in demo::all_listings() {
        match site_listing(&site, demo.id).await {
            Some(found) if found.status == ListingStatus::Active => listings.push_str(&format!(
                r#"<li class="listing"><a href="/local/site/listings/{id}">{title}</a> · {location} · {category}</li>"#,
                id = escape(&found.id),
                title = escape(&found.title),
                location = escape(&found.location),
                category = escape(&found.category),
            )),
            _ => {}
        }
    }
    let body = format!(
        r#"<section aria-labelledby="sign-in-heading">
<h2 id="sign-in-heading">Sign in</h2>
<form id="sign-in">
<label for="token">Token</label>
<input id="token" name="token" autocomplete="off">
<button type="submit">Sign in</button>
</form>
<ul class="people">{people}</ul>
</section>
<section aria-labelledby="listings-heading">
<h2 id="listings-heading">Listings</h2>
<ul>{listings}</ul>
</section>"#
    );
    page(&site, "Classifieds", &body).into_response()
}

/// A listing's page: where the site marks its listing for the widget's buttons.
async fn listing(Extension(site): Extension<Arc<DemoSite>>, Path(id): Path<String>) -> Response {
    let seller = demo::all_listings()
        .find(|l| l.id == id)
        .and_then(|l| demo::PEOPLE.iter().find(|p| p.sub == l.seller))
        .map_or("a seller", |p| p.name);
    match site_listing(&site, &id).await {
        Some(found) if found.status == ListingStatus::Active => {
            let body = format!(
                r#"<p>{location} · {category} · sold by {seller}</p>
<div data-saypro-listing="{id}"></div>"#,
                location = escape(&found.location),
                category = escape(&found.category),
                seller = escape(seller),
                id = escape(&found.id),
            );
            page(&site, &found.title, &body).into_response()
        }
        Some(found) => page(
            &site,
            &found.title,
            "<p>This ad is no longer available.</p>",
        )
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            page(&site, "Not found", "<p>No such ad.</p>"),
        )
            .into_response(),
    }
}

/// The signed-in user's profile page: Contact admin about nothing in particular.
async fn profile(Extension(site): Extension<Arc<DemoSite>>) -> Response {
    let body = r#"<p>Your ads, your payments and your account settings live here.</p>
<p>A question about your account or a payment?</p>
<div data-saypro-contact></div>"#;
    page(&site, "My profile", body).into_response()
}

/// A listing as the website's backend reads it (its `service` token).
async fn site_listing(site: &DemoSite, id: &str) -> Option<common::messaging::PublicListing> {
    let website = demo::caller("website").ok()?;
    site.app.public_listing(&website, id).await.ok()
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../site/site.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../site/site.js"),
    )
        .into_response()
}

/// The widget's file, for any site to load (so any origin may fetch it); its name is
/// fixed, so each load checks for a newer one.
async fn widget(Extension(site): Extension<Arc<DemoSite>>, Path(file): Path<String>) -> Response {
    if file != "saypro-messaging.js" {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(site.widget_dir.join(&file)).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            body,
        )
            .into_response(),
        Err(_) => (
            StatusCode::NOT_FOUND,
            format!(
                "The widget is not built: run `npm ci && npm run build` in web/ (`make run` does). (Looked in {}.)",
                site.widget_dir.display()
            ),
        )
            .into_response(),
    }
}
