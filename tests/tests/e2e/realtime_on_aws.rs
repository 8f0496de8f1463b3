//! The WebSocket function as on AWS: the `events/realtime` samples replayed through its
//! handler, and pushes through the real SDK's `PostToConnection` to a small stand-in of
//! API Gateway's management API (moto records nothing of it and never answers 410):
//! `POST /{stage}/@connections/{id}` recorded, 410 for a connection it does not hold.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use axum::http::{StatusCode, Uri};
use common::connections::Connections;
use common::delivery::push::ApiGatewayPusher;
use common::domain::clock::ManualClock;
use common::domain::identity::{Caller, Claims};
use common::domain::realtime::{Event, Listener};
use common::messaging::Sockets;
use common::store::table::embedded::EmbeddedTable;
use common::{App, IdentitySource};
use lambda_runtime::{Context, LambdaEvent};

/// What the stand-in was sent: the connection and the frame.
type Posted = Arc<Mutex<Vec<(String, String)>>>;

/// The management API of stage `prod`, holding `open` connections.
async fn management_api(open: &[&str]) -> (String, Posted) {
    let posted: Posted = Arc::default();
    let open: BTreeSet<String> = open.iter().map(|c| c.to_string()).collect();
    let log = posted.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, body: String| {
        let (log, open) = (log.clone(), open.clone());
        async move {
            let path = uri.path().replace("%40", "@").replace("%3D", "=");
            let Some(id) = path.strip_prefix("/prod/@connections/") else {
                return (
                    StatusCode::NOT_FOUND,
                    [("x-amzn-errortype", "NotFoundException")],
                );
            };
            if !open.contains(id) {
                // As API Gateway answers: 410, named.
                return (StatusCode::GONE, [("x-amzn-errortype", "GoneException")]);
            }
            log.lock().unwrap().push((id.to_string(), body));
            (StatusCode::OK, [("x-amzn-requestid", "standin")])
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/prod", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, posted)
}

fn pusher(endpoint: &str) -> ApiGatewayPusher {
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(aws_sdk_apigatewaymanagement::config::BehaviorVersion::latest())
        .region(aws_sdk_apigatewaymanagement::config::Region::new(
            "af-south-1",
        ))
        .credentials_provider(aws_sdk_apigatewaymanagement::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .http_client(common::lambda::https_client())
        .endpoint_url(endpoint)
        .build();
    ApiGatewayPusher::new(config)
}

/// The function's App as on Lambda, pushing through the stand-in.
fn lambda_app(endpoint: &str) -> App {
    let table = Arc::new(EmbeddedTable::in_memory());
    let clock = Arc::new(ManualClock::new(tests::tuesday_morning()));
    let connections = Connections {
        table: table.clone(),
        pusher: Arc::new(pusher(endpoint)),
        clock: clock.clone(),
    };
    let mut app = App::new(table, clock, IdentitySource::ApiGateway);
    app.sockets = Some(Sockets {
        realtime: Arc::new(connections),
        url: "wss://ws123.execute-api.af-south-1.amazonaws.com/prod".into(),
    });
    app
}

fn sample(name: &str, ticket: &str) -> LambdaEvent<ApiGatewayWebsocketProxyRequest> {
    let path = format!(
        "{}/../events/realtime/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("<ticket>", ticket);
    LambdaEvent::new(serde_json::from_str(&text).unwrap(), Context::default())
}

#[tokio::test]
async fn the_samples_open_answer_and_close_a_socket_through_the_management_api() {
    let (endpoint, posted) = management_api(&["conn-thandi="]).await;
    let app = lambda_app(&endpoint);
    let thandi = Caller::new(Claims {
        sub: "thandi".into(),
        ..Claims::default()
    })
    .unwrap();
    let ticket = app.open_ticket(&thandi).await.unwrap();
    assert!(ticket.url.starts_with("wss://ws123.execute-api"));

    let opened = realtime::handle(&app, sample("connect", &ticket.ticket))
        .await
        .unwrap();
    assert_eq!(opened.status_code, 200);
    let again = realtime::handle(&app, sample("connect", &ticket.ticket))
        .await
        .unwrap();
    assert_eq!(again.status_code, 401, "a ticket opens one socket");

    let pinged = realtime::handle(&app, sample("default", "")).await.unwrap();
    assert_eq!(pinged.status_code, 200);
    assert_eq!(
        posted.lock().unwrap().as_slice(),
        [("conn-thandi=".to_string(), Event::Pong.to_json())]
    );

    realtime::handle(&app, sample("disconnect", ""))
        .await
        .unwrap();
    let connections = &app.sockets.as_ref().unwrap().realtime;
    assert!(
        connections
            .listener("conn-thandi=")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_connection_the_api_answers_410_for_is_forgotten_and_the_rest_still_get_it() {
    let (endpoint, posted) = management_api(&["conn-open"]).await;
    let app = lambda_app(&endpoint);
    let connections = &app.sockets.as_ref().unwrap().realtime;
    let thandi = Listener {
        user_id: "thandi".into(),
        admin: false,
        teams: Vec::new(),
    };
    connections.connect("conn-open", &thandi).await.unwrap();
    connections.connect("conn-gone", &thandi).await.unwrap();

    let pushed = connections.to_user("thandi", &Event::Pong).await.unwrap();
    assert_eq!((pushed.frames, pushed.gone, pushed.failed), (1, 1, 0));
    assert_eq!(posted.lock().unwrap().len(), 1);
    assert!(connections.listener("conn-gone").await.unwrap().is_none());
    assert!(connections.listener("conn-open").await.unwrap().is_some());
}
