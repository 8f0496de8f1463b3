//! Real-time sockets, as the API sees them: a ticket to open one, what opening and
//! closing one does, and the actions a client sends over it. The registry and the
//! fan-out are the `realtime` crate's; who hears what is `domain::realtime`'s.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::instrument;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use connections::{Connections, frame};
use domain::identity::{Access, Caller};
use domain::realtime::{Action, Event, Listener, Presence};
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
        // The other admins learn that they came, on their first socket. (Nothing can be
        // pushed to the new socket itself until API Gateway has opened it: it asks who
        // is on with its first `presence` action.)
        if listener.admin && realtime.open_by(&listener.user_id).await? == 1 {
            let on = presence(&listener.user_id, Presence::Online);
            realtime
                .to_admins(&listener.teams, &listener.user_id, &on)
                .await?;
        }
        Ok(listener)
    }

    pub async fn socket_closed(&self, connection_id: &str) -> ApiResult<()> {
        let realtime = &self.sockets()?.realtime;
        let listener = realtime.listener(connection_id).await?;
        realtime.disconnect(connection_id).await?;
        if let Some(listener) = listener.filter(|l| l.admin)
            && realtime.open_by(&listener.user_id).await? == 0
        {
            let off = presence(&listener.user_id, Presence::Offline);
            realtime
                .to_admins(&listener.teams, &listener.user_id, &off)
                .await?;
        }
        Ok(())
    }

    /// An action a socket sent; what to answer it with, if anything. An action on a
    /// conversation the listener may not see does nothing and is not relayed.
    pub async fn socket_action(
        &self,
        listener: &Listener,
        connection_id: &str,
        action: Action,
    ) -> ApiResult<Option<Event>> {
        match action {
            Action::Ping => Ok(Some(Event::Pong)),
            // An admin's console says it is on (answered with who else is) or away.
            Action::Presence { status } => {
                if !listener.admin || status == Presence::Offline {
                    return Ok(None);
                }
                let realtime = &self.sockets()?.realtime;
                let event = presence(&listener.user_id, status);
                realtime
                    .to_admins(&listener.teams, &listener.user_id, &event)
                    .await?;
                for other in realtime.admins_on(&listener.teams).await? {
                    if other.user_id != listener.user_id {
                        let on = presence(&other.user_id, Presence::Online);
                        realtime.to_connection(connection_id, &on).await?;
                    }
                }
                Ok(None)
            }
            // Admins only, to the other admins working the conversation.
            Action::Viewing {
                conversation_id,
                state,
            } => {
                let event = |conversation_id, user_id| Event::Viewing {
                    conversation_id,
                    user_id,
                    state,
                };
                self.relay(listener, &conversation_id, event, |conversation, other| {
                    listener.works(conversation) && other.works(conversation)
                })
                .await
            }
            Action::Typing {
                conversation_id,
                state,
            } => {
                let event = |conversation_id, user_id| Event::Typing {
                    conversation_id,
                    user_id,
                    state,
                };
                self.relay(listener, &conversation_id, event, |_, _| true)
                    .await
            }
        }
    }

    /// Tells `user`'s sockets their unread counts changed (their badges), where this
    /// function has sockets. Best effort: the REST counts are the record.
    pub(crate) async fn push_unread_counts(&self, user: &str) {
        let Some(sockets) = &self.sockets else {
            return;
        };
        // The counts cost a query of the unread index: only for someone with a socket.
        match sockets.realtime.open_by(user).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "reading connections failed");
                return;
            }
        }
        let pushed = match store::inbox::unread_counts(self.table.as_ref(), user).await {
            Ok(counts) => {
                let event = Event::UnreadChanged { counts };
                sockets.realtime.to_user(user, &event).await.map(drop)
            }
            Err(error) => Err(anyhow::anyhow!("{error}")),
        };
        if let Err(error) = pushed {
            tracing::warn!(error = %format!("{error:#}"), "pushing unread counts failed");
        }
    }

    /// Relays what `listener` does in a conversation (the event made of its id and
    /// theirs) to the others who may see it and whom `to` admits. Nothing, and no error,
    /// for a conversation they may not see.
    async fn relay(
        &self,
        listener: &Listener,
        conversation_id: &str,
        event: impl Fn(String, String) -> Event,
        to: impl Fn(&domain::Conversation, &Listener) -> bool,
    ) -> ApiResult<Option<Event>> {
        let Some(conversation) = self.visible_to(listener, conversation_id).await? else {
            return Ok(None);
        };
        let relayed = frame(&event(conversation.id.clone(), listener.user_id.clone()));
        self.sockets()?
            .realtime
            .to_conversation(&conversation, |other| {
                (other.user_id != listener.user_id && to(&conversation, other))
                    .then(|| relayed.clone())
            })
            .await?;
        Ok(None)
    }

    /// The conversation an action names, if the listener may see it (else nothing: the
    /// action is dropped, as if the conversation did not exist).
    async fn visible_to(
        &self,
        listener: &Listener,
        conversation_id: &str,
    ) -> ApiResult<Option<domain::Conversation>> {
        let Ok(id) = validate::id("conversation_id", conversation_id) else {
            return Ok(None);
        };
        match self.load_conversation(&id, |c| listener.may_see(c)).await {
            Ok(conversation) => Ok(Some(conversation)),
            Err(ApiError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

fn presence(user: &str, status: Presence) -> Event {
    Event::Presence {
        user_id: user.to_string(),
        status,
    }
}
