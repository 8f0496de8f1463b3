//! The Pusher port: one JSON text frame to one WebSocket connection. On AWS it is API
//! Gateway's management API (`PostToConnection`); locally, the dev server's own sockets.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::{Client, Config};
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The connection is gone (API Gateway's 410): forget it; not a failure.
    #[error("the connection is gone")]
    Gone,
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

#[async_trait]
pub trait Pusher: Send + Sync + 'static {
    async fn push(&self, connection_id: &str, frame: &str) -> Result<(), PushError>;
}

/// Pushes through API Gateway's management API of one WebSocket API stage, configured
/// with the stage's `https://…/{stage}` endpoint. The client is made on the first push,
/// once: many cold starts push to no one, and making it (its endpoint rules' partition
/// table parsed) was part of every init.
pub struct ApiGatewayPusher {
    config: Config,
    client: OnceLock<Client>,
}

impl ApiGatewayPusher {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> &Client {
        self.client
            .get_or_init(|| Client::from_conf(self.config.clone()))
    }
}

#[async_trait]
impl Pusher for ApiGatewayPusher {
    async fn push(&self, connection_id: &str, frame: &str) -> Result<(), PushError> {
        let sent = self
            .client()
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(frame.as_bytes()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            // API Gateway names it GoneException; the status alone says as much.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_gone_exception())
                    || error
                        .raw_response()
                        .is_some_and(|r| r.status().as_u16() == 410) =>
            {
                Err(PushError::Gone)
            }
            Err(error) => Err(PushError::Unavailable(
                anyhow::Error::new(error).context("apigatewaymanagement post_to_connection"),
            )),
        }
    }
}

/// The dev server's sockets: each open one registers the sender its writer task reads.
#[derive(Default)]
pub struct LocalPusher {
    sockets: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
}

impl LocalPusher {
    /// A socket opened: frames pushed to `connection_id` arrive on the receiver.
    pub fn open(&self, connection_id: &str) -> mpsc::UnboundedReceiver<String> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.lock().insert(connection_id.to_string(), sender);
        receiver
    }

    pub fn close(&self, connection_id: &str) {
        self.lock().remove(connection_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<String>>> {
        // A panic elsewhere while holding the lock leaves the map as it was.
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Pusher for LocalPusher {
    async fn push(&self, connection_id: &str, frame: &str) -> Result<(), PushError> {
        let sockets = self.lock();
        let sender = sockets.get(connection_id).ok_or(PushError::Gone)?;
        sender.send(frame.to_string()).map_err(|_| PushError::Gone)
    }
}
