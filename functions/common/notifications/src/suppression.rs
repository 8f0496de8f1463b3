//! Bounces and complaints from SES (delivered through SNS) stop email to that address:
//! a permanent bounce or a complaint suppresses it; a transient bounce does not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use domain::broadcast::Engagement;
use store::keys::{bounce_counted_key, suppression_key};
use store::record_write;
use store::table::{Condition, WriteOp};

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

/// Permanent bounces of broadcast emails in one SES notification: the broadcast (its
/// message tag, [`delivery::BROADCAST_TAG`]) and the address that bounced.
pub fn broadcast_bounces(ses_notification: &str) -> Vec<(String, String)> {
    let Ok(notice) = serde_json::from_str::<Value>(ses_notification) else {
        return Vec::new();
    };
    let kind = notice
        .get("notificationType")
        .or_else(|| notice.get("eventType"))
        .and_then(Value::as_str);
    let Some(broadcast) = notice["mail"]["tags"][delivery::BROADCAST_TAG][0].as_str() else {
        return Vec::new();
    };
    if kind != Some("Bounce") || notice["bounce"]["bounceType"] != "Permanent" {
        return Vec::new();
    }
    addresses_to_suppress(ses_notification)
        .into_iter()
        .map(|(email, _)| (broadcast.to_string(), email))
        .collect()
}

/// Counts a broadcast's bounce once per address, however often SES tells of it: a
/// create-once marker and the count, in one transaction (which fails, writing nothing,
/// if either condition does: counted before, or no such broadcast).
pub fn count_bounce(broadcast: &str, email: &str) -> anyhow::Result<Vec<WriteOp>> {
    let marker = record_write(
        &bounce_counted_key(broadcast, email),
        &serde_json::json!({}),
        Some(Condition::NotExists),
    )?;
    Ok(vec![
        marker,
        store::engagement_write(broadcast, &[(Engagement::Bounced, 1)]),
    ])
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

    #[test]
    fn a_broadcast_emails_permanent_bounce_names_its_broadcast_and_nothing_else_does() {
        let tagged = r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Gone@Example.co.za"}]},"mail":{"tags":{"ses:configuration-set":["saypro"],"broadcast":["01JB"]}}}"#;
        assert_eq!(
            broadcast_bounces(tagged),
            [("01JB".to_string(), "gone@example.co.za".to_string())]
        );
        let untagged = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"gone@example.co.za"}]},"mail":{}}"#;
        assert!(broadcast_bounces(untagged).is_empty());
        let transient = tagged.replace("Permanent", "Transient");
        assert!(broadcast_bounces(&transient).is_empty());
        let complaint = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"a@b.co.za"}]},"mail":{"tags":{"broadcast":["01JB"]}}}"#;
        assert!(broadcast_bounces(complaint).is_empty());
    }
}
