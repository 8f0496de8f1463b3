//! Bounces and complaints from SES (delivered through SNS) stop email to that address:
//! a permanent bounce or a complaint suppresses it; a transient bounce does not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use store::keys::suppression_key;
use store::record_write;
use store::table::WriteOp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Addresses to suppress, and why, from one SES notification (the SNS message body).
/// Both SES forms are read: identity notifications (`notificationType`) and
/// configuration-set events (`eventType`).
pub fn addresses_to_suppress(ses_notification: &str) -> Vec<(String, String)> {
    let Ok(notice) = serde_json::from_str::<Value>(ses_notification) else {
        return Vec::new();
    };
    let kind = notice
        .get("notificationType")
        .or_else(|| notice.get("eventType"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let emails = |list: &Value| -> Vec<String> {
        list.as_array()
            .map(|recipients| {
                recipients
                    .iter()
                    .filter_map(|r| r.get("emailAddress").and_then(Value::as_str))
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    match kind {
        "Bounce" if notice["bounce"]["bounceType"] == "Permanent" => {
            emails(&notice["bounce"]["bouncedRecipients"])
                .into_iter()
                .map(|e| (e, "permanent bounce".into()))
                .collect()
        }
        "Complaint" => emails(&notice["complaint"]["complainedRecipients"])
            .into_iter()
            .map(|e| (e, "complaint".into()))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn suppress(email: &str, reason: &str, at: DateTime<Utc>) -> anyhow::Result<WriteOp> {
    record_write(
        &suppression_key(email),
        &Suppression {
            reason: reason.to_string(),
            at,
        },
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_bounces_and_complaints_suppress_and_transient_bounces_do_not() {
        let permanent = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Gone@Example.co.za"}]}}"#;
        assert_eq!(
            addresses_to_suppress(permanent),
            [(
                "gone@example.co.za".to_string(),
                "permanent bounce".to_string()
            )]
        );
        let transient = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"full@example.co.za"}]}}"#;
        assert!(addresses_to_suppress(transient).is_empty());
        let complaint = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"angry@example.co.za"}]}}"#;
        assert_eq!(addresses_to_suppress(complaint)[0].1, "complaint");
        assert!(addresses_to_suppress("not json").is_empty());
        assert!(addresses_to_suppress(r#"{"notificationType":"Delivery"}"#).is_empty());
    }
}
