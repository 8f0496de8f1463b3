//! A real WebSocket client against the dev server's router, served on 127.0.0.1.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::TestApp;

/// How long a test waits for a frame that should come; one that should not come is
/// given this long to show up.
const WAIT: Duration = Duration::from_millis(500);

pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TestApp {
    /// Serves the whole router on a free port of 127.0.0.1; its address.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = self.system.router();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        addr
    }

    /// A ticket for `token`'s socket (the `POST /v1/realtime/tickets` answer).
    pub async fn ticket(&self, token: &str) -> Value {
        let (code, ticket) = self
            .post("/v1/realtime/tickets", token, serde_json::json!({}))
            .await;
        assert_eq!(code, axum::http::StatusCode::CREATED, "{ticket}");
        ticket
    }

    /// Opens `token`'s socket on the server at `addr`.
    pub async fn socket(&self, addr: std::net::SocketAddr, token: &str) -> Socket {
        let ticket = self.ticket(token).await;
        Socket::open(addr, ticket["ticket"].as_str().unwrap())
            .await
            .expect("the socket opens")
    }
}

impl Socket {
    /// Opens a socket with `ticket`; the refusal's HTTP status if the upgrade is refused.
    pub async fn open(addr: std::net::SocketAddr, ticket: &str) -> Result<Socket, u16> {
        let url = format!("ws://{addr}/v1/realtime?ticket={ticket}");
        // A small read buffer, as a browser's: tungstenite zeroes its 128 KiB default on
        // every read.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        match tokio_tungstenite::connect_async_with_config(url, Some(config), false).await {
            Ok((stream, _)) => Ok(Socket { stream }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("connecting: {other}"),
        }
    }

    pub async fn send(&mut self, action: Value) {
        self.stream
            .send(Frame::Text(action.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends raw text (an action too large, say).
    pub async fn send_text(&mut self, text: String) {
        self.stream.send(Frame::Text(text.into())).await.unwrap();
    }

    /// Whether the server has closed the socket: its close frame, or the connection gone.
    pub async fn closed(&mut self) -> bool {
        loop {
            match tokio::time::timeout(WAIT, self.stream.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Frame::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Closes the socket, as a browser tab does.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }

    /// Every event that arrives until none has for a moment.
    pub async fn events(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        while let Ok(Some(frame)) = tokio::time::timeout(WAIT, self.stream.next()).await {
            if let Frame::Text(text) = frame.unwrap() {
                events.push(serde_json::from_str(&text).unwrap());
            }
        }
        events
    }

    /// The types of [`Socket::events`].
    pub async fn event_types(&mut self) -> Vec<String> {
        self.events()
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    }
}
