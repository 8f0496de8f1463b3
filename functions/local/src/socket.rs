//! The dev server's WebSocket, where API Gateway's WebSocket API serves on AWS: the same
//! ticket, the same events and actions, through the same operations (`App::socket_*`)
//! and a local Pusher in place of the management API.

use std::sync::Arc;

use axum::Extension;
use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use common::delivery::push::LocalPusher;
use common::domain::realtime::{Action, Event, Listener};
use common::{AppState, HttpResult};
use serde::Deserialize;

/// Where the dev server serves sockets (`GET`, upgraded).
pub const PATH: &str = "/v1/realtime";

/// The largest message a client may send, as API Gateway's WebSocket frame limit
/// (32 KB); actions are a few hundred bytes.
const MAX_MESSAGE_BYTES: usize = 32 * 1024;

/// Each socket's read buffer. Tungstenite's default, 128 KiB, is zeroed on every read:
/// at 1,000 sockets that was a third of the push's time and most of the memory.
const READ_BUFFER_BYTES: usize = 4 * 1024;

#[derive(Deserialize)]
pub struct Opening {
    #[serde(default)]
    ticket: String,
}

/// `GET /v1/realtime?ticket=`: spends the ticket, then upgrades. A missing, used,
/// expired or made-up ticket is a 401 and no socket.
pub async fn open(
    State(app): State<AppState>,
    Extension(pusher): Extension<Arc<LocalPusher>>,
    Query(opening): Query<Opening>,
    upgrade: WebSocketUpgrade,
) -> HttpResult<Response> {
    let connection_id = ulid::Ulid::new().to_string();
    // Registered before the ticket is spent, so no event pushed meanwhile is lost.
    let frames = pusher.open(&connection_id);
    let listener = match app.socket_opened(&opening.ticket, &connection_id).await {
        Ok(listener) => listener,
        Err(refused) => {
            pusher.close(&connection_id);
            return Err(refused.into());
        }
    };
    let upgrade = upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES);
    Ok(upgrade.on_upgrade(move |socket| async move {
        serve(&app, &listener, &connection_id, socket, frames).await;
        pusher.close(&connection_id);
        if let Err(error) = app.socket_closed(&connection_id).await {
            tracing::warn!(error = %error, "forgetting a closed socket failed");
        }
    }))
}

/// Until the client goes: pushed frames out, actions in.
async fn serve(
    app: &AppState,
    listener: &Listener,
    connection_id: &str,
    mut socket: WebSocket,
    mut frames: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    loop {
        tokio::select! {
            frame = frames.recv() => {
                let Some(frame) = frame else { return };
                if socket.send(Frame::Text(frame.into())).await.is_err() {
                    return;
                }
            }
            received = socket.recv() => {
                let text = match received {
                    Some(Ok(Frame::Text(text))) => text,
                    Some(Ok(Frame::Ping(_) | Frame::Pong(_) | Frame::Binary(_))) => continue,
                    Some(Ok(Frame::Close(_)) | Err(_)) | None => return,
                };
                let answer = match serde_json::from_str::<Action>(&text) {
                    Ok(action) => match app.socket_action(listener, connection_id, action).await {
                        Ok(answer) => answer,
                        Err(error) => Some(Event::error(&error.to_string())),
                    },
                    Err(error) => Some(Event::error(&format!("action: {error}"))),
                };
                if let Some(answer) = answer
                    && socket.send(Frame::Text(answer.to_json().into())).await.is_err()
                {
                    return;
                }
            }
        }
    }
}
