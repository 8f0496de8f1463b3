//! Real-time sockets, as the API sees them: a ticket to open one, what opening and
//! closing one does, and the actions a client sends over it. The registry and the
//! fan-out are the `realtime` crate's; who hears what is `domain::realtime`'s.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::instrument;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use connections::Connections;
use domain::identity::{Access, Caller};
use domain::realtime::{Action, Event, Listener};
use domain::validate;
use std::sync::Arc;

/// Where sockets are served and how they are reached.
#[derive(Clone)]
pub struct Sockets {
    pub realtime: Arc<Connections>,
    /// The WebSocket URL clients open, before `?ticket=`.
    pub url: String,
}

/// `POST /v1/realtime/tickets`: a one-time ticket and the URL to open with it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    /// Works once, until `expires_at` (60 seconds).
    pub ticket: String,
    /// The WebSocket URL, the ticket already in it (`?ticket=`).
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

impl App {
    fn sockets(&self) -> ApiResult<&Sockets> {
        self.sockets
            .as_ref()
            .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no real-time sockets here")))
    }

    /// A ticket for the caller's socket. The long-lived token never goes in a URL.
    #[instrument(skip_all, fields(caller = caller.id()))]
    pub async fn open_ticket(&self, caller: &Caller) -> ApiResult<TicketView> {
        Access::Person.check(caller)?;
        let sockets = self.sockets()?;
        let ticket = sockets.realtime.issue_ticket(&Listener::of(caller)).await?;
        Ok(TicketView {
            url: format!("{}?ticket={}", sockets.url, ticket.ticket),
            ticket: ticket.ticket,
            expires_at: ticket.expires_at,
        })
    }

    /// A socket asks to open with `ticket`: who it belongs to, and it is registered; a
    /// missing, spent, expired or made-up ticket is a 401 (no socket).
    pub async fn socket_opened(&self, ticket: &str, connection_id: &str) -> ApiResult<Listener> {
        let realtime = &self.sockets()?.realtime;
        let listener = realtime
            .spend_ticket(ticket)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("ticket: missing, used or expired".into()))?;
        realtime.connect(connection_id, &listener).await?;
        Ok(listener)
    }

    pub async fn socket_closed(&self, connection_id: &str) -> ApiResult<()> {
        Ok(self.sockets()?.realtime.disconnect(connection_id).await?)
    }

    /// An action a socket sent; what to answer it with, if anything. An action on a
    /// conversation the listener may not see does nothing and is not relayed.
    pub async fn socket_action(
        &self,
        listener: &Listener,
        action: Action,
    ) -> ApiResult<Option<Event>> {
        match action {
            Action::Ping => Ok(Some(Event::Pong)),
            Action::Typing {
                conversation_id,
                state,
            } => {
                let Ok(id) = validate::id("conversation_id", &conversation_id) else {
                    return Ok(None);
                };
                let conversation = match self.load_conversation(&id, |c| listener.may_see(c)).await
                {
                    Ok(conversation) => conversation,
                    Err(ApiError::NotFound(_)) => return Ok(None),
                    Err(other) => return Err(other),
                };
                let typist = listener.user_id.clone();
                self.sockets()?
                    .realtime
                    .to_conversation(&conversation, |other| {
                        (other.user_id != typist).then(|| Event::Typing {
                            conversation_id: conversation.id.clone(),
                            user_id: typist.clone(),
                            state,
                        })
                    })
                    .await?;
                Ok(None)
            }
        }
    }
}
