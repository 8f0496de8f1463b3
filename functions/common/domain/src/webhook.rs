//! Outbound webhooks, so a CRM or ticketing system can follow inquiries: which events
//! there are, how a delivery is signed, and when a failed one is tried again.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::{Rejection, Result};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub enum WebhookEvent {
    #[serde(rename = "conversation.created")]
    ConversationCreated,
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "status.changed")]
    StatusChanged,
    #[serde(rename = "sla.breached")]
    SlaBreached,
    /// A duplicate was merged into another conversation (`merged_into` on it).
    #[serde(rename = "conversation.merged")]
    ConversationMerged,
}

impl WebhookEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::ConversationCreated => "conversation.created",
            WebhookEvent::MessageCreated => "message.created",
            WebhookEvent::StatusChanged => "status.changed",
            WebhookEvent::SlaBreached => "sla.breached",
            WebhookEvent::ConversationMerged => "conversation.merged",
        }
    }
}

/// Waits before each retry of a failed delivery; after the last, it is given up (and
/// stays in the delivery log as failed).
const RETRY_MINUTES: [i64; 5] = [1, 5, 30, 120, 720];

/// When to try again after failed attempt number `attempt` (1 for the first).
pub fn retry_after(attempt: u32) -> Option<Duration> {
    RETRY_MINUTES
        .get(attempt as usize - 1)
        .map(|m| Duration::minutes(*m))
}

/// The `X-SayPro-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" with the endpoint's secret>`. Receivers recompute it and reject old `t`s,
/// so a captured delivery cannot be replayed later.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let digest =
        crate::digest::hmac_hex(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={digest}")
}

/// Where webhook deliveries may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// On AWS: https, to public addresses only. Never this machine (the Lambda runtime
    /// API listens on 127.0.0.1:9001), the VPC, link-local addresses (the instance
    /// metadata service, 169.254.169.254) or anything else not routed on the internet.
    Public,
    /// The dev server: also this machine, over plain http too, for local receivers.
    PublicAndThisMachine,
}

impl Reach {
    /// Whether a delivery may connect to `ip`: checked on the URL's host and again on
    /// every address a name resolves to (`delivery::poster`), so a name cannot point
    /// somewhere its URL could not.
    pub fn allows(self, ip: IpAddr) -> bool {
        is_public(ip) || (self == Reach::PublicAndThisMachine && is_loopback(ip))
    }
}

/// An endpoint URL, normalised: https (plain http only to this machine, on the dev
/// server), no user or password before the host, a host `reach` allows. Names are
/// checked again when a delivery resolves them.
pub fn check_url(url: &str, reach: Reach) -> Result<String> {
    let url = url.trim();
    if url.len() > 2_000 {
        return Err(Rejection::invalid("url: at most 2,000 characters"));
    }
    let parsed =
        Url::parse(url).map_err(|e| Rejection::invalid(format!("url: not a URL ({e})")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Rejection::invalid(
            "url: no user or password before the host (nothing@ in the URL)",
        ));
    }
    let this_machine = match parsed.host() {
        Some(Host::Ipv4(ip)) => is_loopback(ip.into()),
        Some(Host::Ipv6(ip)) => is_loopback(ip.into()),
        Some(Host::Domain(name)) => is_localhost(name),
        None => return Err(Rejection::invalid("url: a host to deliver to")),
    };
    let scheme_allowed = match parsed.scheme() {
        "https" => true,
        "http" => reach == Reach::PublicAndThisMachine && this_machine,
        _ => false,
    };
    if !scheme_allowed {
        return Err(Rejection::invalid(match reach {
            Reach::Public => "url: an https:// URL",
            Reach::PublicAndThisMachine => {
                "url: an https:// URL (http:// only to this machine: 127.0.0.1, [::1] or localhost)"
            }
        }));
    }
    let allowed = match parsed.host() {
        Some(Host::Ipv4(ip)) => reach.allows(ip.into()),
        Some(Host::Ipv6(ip)) => reach.allows(ip.into()),
        _ => !this_machine || reach == Reach::PublicAndThisMachine,
    };
    if !allowed {
        return Err(Rejection::invalid(
            "url: not a public address (this machine, private, link-local and reserved \
             addresses are refused)",
        ));
    }
    Ok(parsed.into())
}

/// `localhost` and its subdomains, which resolve to this machine by definition (RFC 6761).
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name == "localhost" || name.ends_with(".localhost")
}

fn is_loopback(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback(),
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it reaches.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Routed on the public internet: none of the special-purpose blocks (RFC 6890).
fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(ip) => {
            let [a, b, ..] = ip.octets();
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_broadcast()
                || ip.is_documentation()
                || ip.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && ip.octets()[2] == 0)
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            // ::/8 holds the unspecified and loopback addresses and the IPv4-compatible
            // ones; 64:ff9b::/16 (NAT64) and 2002::/16 (6to4) carry IPv4 addresses.
            !((first & 0xff00) == 0
                || ip.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || (first == 0x2001 && ip.segments()[1] == 0x0db8)
                || first == 0x2002
                || first == 0x0064)
        }
    }
}

/// An endpoint a manager registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub secret: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Delivered,
    /// Failed; tried again at `next_attempt_at`.
    Retrying,
    /// Failed every attempt.
    Failed,
}

/// One delivery, as the log shows it (`GET /v1/admin/webhooks/{id}/deliveries`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event: WebhookEvent,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The receiver's last answer, or why there was none.
    pub last_result: String,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What was (and will be) posted.
    pub payload: String,
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_hmac_of_time_and_body() {
        // Known answer, from Python: hmac.new(b"secret", b"1700000000.{}", sha256).
        assert_eq!(
            signature("secret", 1_700_000_000, "{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(
            signature("secret", 1_700_000_001, "{}"),
            signature("secret", 1_700_000_000, "{}")
        );
    }

    #[test]
    fn retries_back_off_then_give_up() {
        assert_eq!(retry_after(1), Some(Duration::minutes(1)));
        assert_eq!(retry_after(5), Some(Duration::minutes(720)));
        assert_eq!(retry_after(6), None);
    }

    #[test]
    fn https_to_public_hosts_only_and_plain_http_only_to_this_machine_locally() {
        use Reach::{Public, PublicAndThisMachine as Local};
        assert_eq!(
            check_url(" https://CRM.example.com/hooks/saypro ", Public).unwrap(),
            "https://crm.example.com/hooks/saypro"
        );
        assert!(check_url("https://8.8.8.8/hook", Public).is_ok());
        assert!(check_url("https://[2606:4700::1111]/hook", Public).is_ok());
        for local in [
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/hook",
            "http://[::1]:9000/hook",
        ] {
            assert!(check_url(local, Local).is_ok(), "{local}");
            assert!(check_url(local, Public).is_err(), "{local}");
        }
        // What the review tried, each refused wherever it runs.
        for refused in [
            "http://127.0.0.1@crm.example.invalid/hook",
            "http://127.0.0.1:1@127.0.0.1:3999/hook",
            "https://user@crm.example.com/hook",
            "http://localhost.example.invalid/",
            "http://crm.example.com/hook",
            "ftp://x",
            "https://",
            "not a url",
        ] {
            for reach in [Public, Local] {
                assert!(check_url(refused, reach).is_err(), "{refused} {reach:?}");
            }
        }
        for not_public in [
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
            "https://127.0.0.1/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://localhost/",
            "https://a.localhost./",
            "https://0.0.0.0/",
            "https://172.16.5.4/",
            "https://192.168.1.1/",
            "https://100.64.0.1/",
            "https://[::ffff:169.254.169.254]/",
            "https://[::127.0.0.1]/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
        ] {
            assert!(check_url(not_public, Public).is_err(), "{not_public}");
        }
        assert!(check_url("https://169.254.169.254/", Local).is_err());
        assert!(check_url(&format!("https://x.com/{}", "a".repeat(2_000)), Public).is_err());
    }
}
