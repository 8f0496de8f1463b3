//! Automation managers switch on (`GET/PUT /v1/admin/automation-rules`): an automatic
//! acknowledgement of a new support conversation with the time an answer is due (worded
//! differently outside business hours), and automatic answers to frequent questions
//! (category and keywords of the first message → a template). Automated messages are
//! marked as such and never stop the SLA clock: the conversation stays open for the team
//! unless the user confirms the answer helped (`POST /v1/conversations/{id}/resolve`).

use serde::{Deserialize, Serialize};

use super::config::{Replacement, Setting, Versioned};
use super::templates::placeholder_values;
use crate::app::{App, Cached};
use crate::error::{ApiError, ApiResult};
use domain::identity::{Access, Caller};
use domain::sla::SlaTargets;
use domain::template;
use domain::{Category, Conversation, Listing, Message, SenderRole};

/// The sender id of automated messages.
const AUTOMATION_SENDER: &str = "saypro-support";
const MAX_ANSWERS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAnswer {
    pub category: Category,
    /// Any of them in the subject or first message (case-insensitive).
    pub keywords: Vec<String>,
    pub template_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationRules {
    /// Acknowledge every new support conversation with the time an answer is due.
    #[serde(default)]
    pub acknowledge: bool,
    /// Tried in order; the first match answers.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub answers: Vec<AutoAnswer>,
}

pub type VersionedAutomation = Versioned<AutomationRules>;

impl Setting for AutomationRules {
    const KIND: &'static str = "automation";
    const LABEL: &'static str = "automation rules";
    fn validate(&self) -> ApiResult<()> {
        if self.answers.len() > MAX_ANSWERS {
            return Err(ApiError::invalid(format!("answers: at most {MAX_ANSWERS}")));
        }
        for (n, answer) in self.answers.iter().enumerate() {
            if answer.keywords.is_empty() || answer.keywords.iter().any(|k| k.trim().is_empty()) {
                return Err(ApiError::invalid(format!(
                    "answers[{n}].keywords: at least one, none empty"
                )));
            }
            domain::validate::id(&format!("answers[{n}].template_id"), &answer.template_id)?;
        }
        Ok(())
    }
    fn cache(app: &App) -> &Cached<Versioned<Self>> {
        &app.automation
    }
}

impl AutomationRules {
    fn answer_for(&self, category: Category, text: &str) -> Option<&AutoAnswer> {
        let text = text.to_lowercase();
        self.answers.iter().find(|a| {
            a.category == category && a.keywords.iter().any(|k| text.contains(&k.to_lowercase()))
        })
    }
}

impl App {
    pub async fn get_automation_rules(&self, caller: &Caller) -> ApiResult<VersionedAutomation> {
        self.stored_setting(caller).await
    }

    /// Saves the next version; a rule naming a template that does not exist is refused.
    pub async fn put_automation_rules(
        &self,
        caller: &Caller,
        edit: Replacement<AutomationRules>,
    ) -> ApiResult<VersionedAutomation> {
        Access::Manager.check(caller)?;
        for (n, answer) in edit.policy.answers.iter().enumerate() {
            if let Err(ApiError::NotFound(_)) = self.load_template(&answer.template_id).await {
                return Err(ApiError::invalid(format!(
                    "answers[{n}].template_id: no such template"
                )));
            }
        }
        self.save_setting(caller, edit).await
    }

    /// The automated messages a new support conversation gets, already applied to it
    /// (unread for the user; the SLA clock untouched).
    pub(crate) async fn automated_replies(
        &self,
        conversation: &mut Conversation,
        first_message: &str,
        listing: Option<&Listing>,
        targets: &SlaTargets,
    ) -> ApiResult<Vec<Message>> {
        let rules = self.setting::<AutomationRules>().await?;
        let now = self.clock.now();
        let mut replies = Vec::new();
        if rules.policy.acknowledge {
            let body = acknowledgement(conversation, targets, now);
            replies.push(self.automated_message(conversation, body, None, now));
        }
        let text = format!("{}\n{first_message}", conversation.subject);
        if let Some(answer) = rules.policy.answer_for(conversation.category, &text) {
            // A template deleted or not fillable from what is known answers nothing.
            let filled = match self.load_template(&answer.template_id).await {
                Ok(found) => {
                    let values = placeholder_values(
                        conversation,
                        listing,
                        Some("SayPro Support".into()),
                        self.today_text(),
                        Default::default(),
                    );
                    template::render(&found.body, &values).ok()
                }
                Err(ApiError::NotFound(_)) => None,
                Err(other) => return Err(other),
            };
            match filled {
                Some(body) => replies.push(self.automated_message(
                    conversation,
                    body,
                    Some(answer.template_id.clone()),
                    now,
                )),
                None => tracing::warn!(
                    template = answer.template_id,
                    "automatic answer skipped: its template is gone or cannot be filled"
                ),
            }
        }
        Ok(replies)
    }

    fn automated_message(
        &self,
        conversation: &mut Conversation,
        body: String,
        template_id: Option<String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Message {
        let message = Message {
            template_id,
            automated: true,
            ..Message::new(
                self.ids.next(now),
                conversation.id.clone(),
                AUTOMATION_SENDER.into(),
                SenderRole::System,
                body,
                now,
                false,
            )
        };
        conversation.automated_message(&message.id, now);
        message
    }
}

/// "We will reply by …", from the conversation's first-response deadline.
fn acknowledgement(
    conversation: &Conversation,
    targets: &SlaTargets,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let (priority, category) = (conversation.priority, conversation.category);
    let zone = targets
        .policy
        .time_zone(priority, category)
        .unwrap_or(domain::HOME_TIME_ZONE);
    let due = conversation
        .sla
        .as_ref()
        .map_or(now, |s| s.first_response_due)
        .with_timezone(&zone)
        .format("%A %-d %B at %H:%M");
    if targets.policy.is_business_time(now, priority, category) {
        format!(
            "Thank you for your message. It is with our team, and you will have an answer by {due} at the latest."
        )
    } else {
        format!(
            "Thank you for your message. Our team is away now; it is first in line when they are back, and you will have an answer by {due} at the latest."
        )
    }
}
