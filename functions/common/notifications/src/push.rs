//! What the stream pushes to open sockets: a new message to those who may read it, a
//! new notification to its owner, and a changed conversation (and read receipts) as
//! each receiver sees it. Push is best effort and never fails a record: a client that
//! missed an event fetches it over REST when it reconnects.

use domain::conversation::ConversationView;
use domain::notice::Notification;
use domain::realtime::{Event, Listener};
use domain::{Conversation, Message};
use store::table::{StreamRecord, from_item};

use super::notifier::Notifier;

impl Notifier {
    /// A message was stored: everyone who may read it hears of it, but its author.
    pub(super) async fn push_message(&self, conversation: &Conversation, message: &Message) {
        let Some(realtime) = &self.realtime else {
            return;
        };
        let pushed = realtime
            .to_conversation(conversation, |listener| {
                (listener.user_id != message.sender_id && listener.may_read(conversation, message))
                    .then(|| Event::MessageCreated {
                        conversation_id: conversation.id.clone(),
                        message: listener.view_of(conversation, message),
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
        log_failure(realtime.to_user(user, &event).await, "notification.created");
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
        let view = |listener: &Listener| {
            ConversationView::new(&conversation, &listener.reader(&conversation), now)
        };
        let updated = realtime
            .to_conversation(&conversation, |listener| {
                Some(Event::ConversationUpdated {
                    conversation: view(listener),
                })
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
            let receipt = realtime
                .to_conversation(&conversation, |listener| {
                    (listener.reader(&conversation) != *reader).then(|| Event::ConversationRead {
                        conversation_id: conversation.id.clone(),
                        reader_id: reader.clone(),
                        message_id: mark.message_id.clone(),
                        read_at: mark.read_at,
                    })
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
