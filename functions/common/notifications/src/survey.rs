//! The survey invitation when a support conversation is resolved: once per
//! conversation, in the app and by email (a link to the website's survey page, which
//! reads `GET /v1/surveys/{token}` and answers with a POST).

use super::notifier::{Notifier, NotifyError};
use super::render;
use domain::notice::NoticeKind;
use domain::notice::Notification;
use domain::preferences::Preferences;
use domain::survey::Invitation;
use domain::{Conversation, ConversationType, Status};
use store::inbox;
use store::keys::invited_key;
use store::keys::{preferences_key, suppression_key};
use store::table::{TableError, from_item};

impl Notifier {
    /// Invites the conversation's user to rate it, if it is a resolved support
    /// conversation not invited before. A retried record finds the invitation made and
    /// finishes what failed (each step happens once).
    pub(super) async fn invite_to_survey(
        &self,
        conversation: &Conversation,
    ) -> Result<(), NotifyError> {
        if conversation.kind != ConversationType::Support
            || conversation.status != Status::Resolved
            || !conversation.is_participant(&conversation.created_by)
        {
            return Ok(());
        }
        let now = self.clock.now();
        let token = match self.table.get(&invited_key(&conversation.id), true).await? {
            Some(item) => match item.get("token").and_then(|v| v.as_s()) {
                Some(token) => token.to_string(),
                None => return Ok(()),
            },
            None => {
                let invitation = Invitation::new(conversation, now);
                match self
                    .table
                    .write(store::invitation_writes(&invitation)?)
                    .await
                {
                    Ok(()) => invitation.token,
                    // Another worker invited meanwhile and sends the rest.
                    Err(TableError::ConditionFailed { .. }) => return Ok(()),
                    Err(other) => return Err(other.into()),
                }
            }
        };
        let user = &conversation.created_by;
        let notification = Notification {
            id: format!("survey-{}", conversation.id),
            conversation_id: conversation.id.clone(),
            kind: NoticeKind::Survey,
            title: conversation.subject.clone(),
            preview: "How did we do? Rate the answer you got.".into(),
            created_at: now,
            read: false,
        };
        match self
            .table
            .write(vec![inbox::create(user, &notification)?])
            .await
        {
            Ok(()) | Err(TableError::ConditionFailed { .. }) => {}
            Err(other) => return Err(other.into()),
        }
        let Some(address) = conversation
            .contacts
            .get(user)
            .and_then(|c| c.email.clone())
        else {
            return Ok(());
        };
        let preferences: Preferences = match self.table.get(&preferences_key(user), false).await? {
            Some(item) => from_item(item)?,
            None => Preferences::default(),
        };
        let suppressed = self
            .table
            .get(&suppression_key(&address), false)
            .await?
            .is_some();
        if !preferences.email || suppressed {
            return Ok(());
        }
        let link = format!(
            "{}/surveys/{token}",
            self.config.site_url.trim_end_matches('/')
        );
        let email =
            render::survey_email(&address, conversation, &link, &self.config.unsubscribe_url);
        let marker = format!("survey#{}#email", conversation.id);
        self.once(&marker, || self.mailer.send(&email)).await
    }
}
