//! What the stream pushes to open sockets: a new message to those who may read it, a
//! new notification to its owner, and a changed conversation (and read receipts) as
//! each receiver sees it. Push is best effort and never fails a record: a client that
//! missed an event fetches it over REST when it reconnects.

use domain::conversation::ConversationView;
use domain::notice::Notification;
use std::collections::BTreeMap;
use std::sync::Mutex;

use connections::{Frame, frame};
use domain::realtime::Event;
use domain::{Conversation, Message};
use store::table::{StreamRecord, from_item};

use super::notifier::Notifier;

impl Notifier {
    /// A message was stored: everyone who may read it hears of it, but its author.
    pub(super) async fn push_message(&self, conversation: &Conversation, message: &Message) {
        let Some(realtime) = &self.realtime else {
            return;
        };
        // Two views at most: the admin team's, and the participants'.
        let created = |message: Message| {
            frame(&Event::MessageCreated {
                conversation_id: conversation.id.clone(),
                message,
            })
        };
        let as_written = created(message.clone());
        let as_participants_see_it = created(message.clone().as_participants_see_it());
        let pushed = realtime
            .to_conversation(conversation, |listener| {
                let hears = listener.user_id != message.sender_id
                    && listener.may_read(conversation, message);
                hears.then(|| match listener.works(conversation) {
                    true => as_written.clone(),
                    false => as_participants_see_it.clone(),
                })
            })
            .await;
        log_failure(pushed, "message.created");
    }

    /// A notification was created for `user`: it, and their new unread counts.
    pub(super) async fn push_notification(&self, user: &str, notification: &Notification) {
        let Some(realtime) = &self.realtime else {
            return;
        };
        let event = Event::NotificationCreated {
            notification: notification.clone(),
        };
        let pushed = realtime.to_user(user, &event).await;
        // The counts cost a query of the unread index: only for someone with a socket.
        let connected = pushed.as_ref().is_ok_and(|p| p.frames > 0);
        log_failure(pushed, "notification.created");
        if !connected {
            return;
        }
        match store::inbox::unread_counts(self.table.as_ref(), user).await {
            Ok(counts) => {
                let event = Event::UnreadChanged { counts };
                log_failure(realtime.to_user(user, &event).await, "unread.changed");
            }
            Err(error) => tracing::warn!(error = %error, "counting unread notifications failed"),
        }
    }

    /// A conversation's item changed: each who may see it gets it as they see it, and
    /// when a side read further, the others get the receipt.
    pub(super) async fn push_conversation(&self, record: &StreamRecord) {
        let Some(realtime) = &self.realtime else {
            return;
        };
        let Some(Ok(conversation)) = record.new.clone().map(from_item::<Conversation>) else {
            return;
        };
        let before: Option<Conversation> = record.old.clone().and_then(|old| from_item(old).ok());
        let now = self.clock.now();
        // One view per reader (each participant's own, the admin side's), made once.
        let views: Mutex<BTreeMap<String, Frame>> = Mutex::default();
        let updated = realtime
            .to_conversation(&conversation, |listener| {
                let reader = listener.reader(&conversation);
                let mut views = views.lock().unwrap_or_else(|e| e.into_inner());
                let view = views.entry(reader).or_insert_with_key(|reader| {
                    frame(&Event::ConversationUpdated {
                        conversation: ConversationView::new(&conversation, reader, now),
                    })
                });
                Some(view.clone())
            })
            .await;
        log_failure(updated, "conversation.updated");
        for (reader, mark) in &conversation.read_marks {
            let unchanged = before
                .as_ref()
                .and_then(|b| b.read_marks.get(reader))
                .is_some_and(|old| old == mark);
            if unchanged {
                continue;
            }
            let receipt = frame(&Event::ConversationRead {
                conversation_id: conversation.id.clone(),
                reader_id: reader.clone(),
                message_id: mark.message_id.clone(),
                read_at: mark.read_at,
            });
            let receipt = realtime
                .to_conversation(&conversation, |listener| {
                    (listener.reader(&conversation) != *reader).then(|| receipt.clone())
                })
                .await;
            log_failure(receipt, "conversation.read");
        }
    }
}

fn log_failure(pushed: anyhow::Result<connections::Pushed>, event: &str) {
    if let Err(error) = pushed {
        tracing::warn!(event, error = %format!("{error:#}"), "push failed");
    }
}
