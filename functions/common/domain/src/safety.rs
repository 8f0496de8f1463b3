//! The abuse filter every user message goes through, user→admin and user↔user: links
//! (blocked domains, URL shorteners, lookalikes of SayPro), blocked words, and the scam
//! patterns common on classifieds (payment outside the platform, requests for codes or
//! passwords, advance fees, moving to another channel). Each finding carries an action;
//! the strictest one is the verdict. Moderators edit the policy; rate limits and
//! duplicate detection, which need counters, are applied in `messaging/safety.rs`.

use serde::{Deserialize, Serialize};

use crate::{Rejection, Result};

/// What happens to a message, least to most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Deliver,
    /// Delivered, with a warning shown to the recipient.
    Warn,
    /// Kept from the recipient until a moderator releases it.
    Hold,
    /// Not sent; the sender is told why.
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScamKind {
    OffPlatformPayment,
    CodeRequest,
    AdvanceFee,
    ChannelMove,
}

/// Phrases that mark one kind of scam, and what to do with a message that has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScamRule {
    pub kind: ScamKind,
    pub phrases: Vec<String>,
    pub action: Action,
}

/// Messages per sender, and new conversations per listing, in fixed windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    pub per_minute: u32,
    pub per_hour: u32,
    /// Tighter limits for accounts younger than `new_account_days` (the token's
    /// `custom:joined_at`).
    pub new_account_days: u32,
    pub new_account_per_minute: u32,
    pub new_account_per_hour: u32,
    /// New buyer–seller conversations about one listing per hour, from everyone.
    pub listing_conversations_per_hour: u32,
    /// Reports one person files per hour (each message, or conversation, once while open).
    #[serde(default = "default_reports_per_hour")]
    pub reports_per_hour: u32,
}

fn default_reports_per_hour() -> u32 {
    5
}

/// The same text from one sender to more than `max_conversations` conversations within
/// an hour is held; short texts ("Is it still available?") are exempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRule {
    pub max_conversations: u32,
    pub min_chars: usize,
    pub action: Action,
}

/// The policy moderators edit (`/v1/admin/safety-policy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SafetyPolicy {
    /// Whole words (or phrases) refused anywhere
    pub blocked_words: Vec<String>,
    /// Links to these domains (and their subdomains) are refused
    pub blocked_domains: Vec<String>,
    pub shorteners: Vec<String>,
    pub shortener_action: Action,
    /// SayPro's own domains; other domains that look like them are phishing.
    pub official_domains: Vec<String>,
    pub lookalike_action: Action,
    /// Scam rules apply to buyer–seller messages; a user telling support about a code
    /// or a payment is asking for help, not scamming.
    pub scam_rules: Vec<ScamRule>,
    pub rate_limits: RateLimits,
    pub duplicates: DuplicateRule,
    /// How soon moderators answer a user's report (wall-clock hours).
    #[serde(default = "default_report_hours")]
    pub report_response_hours: u32,
}

fn default_report_hours() -> u32 {
    24
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Default for SafetyPolicy {
    fn default() -> Self {
        Self {
            blocked_words: strings(&["fuck", "fucking", "motherfucker", "cunt", "kaffir"]),
            blocked_domains: Vec::new(),
            shorteners: strings(&[
                "bit.ly",
                "tinyurl.com",
                "t.co",
                "goo.gl",
                "ow.ly",
                "is.gd",
                "buff.ly",
                "cutt.ly",
                "rb.gy",
                "shorturl.at",
                "tiny.cc",
                "rebrand.ly",
                "t.ly",
            ]),
            shortener_action: Action::Hold,
            official_domains: strings(&["saypro.online", "saypro.co.za"]),
            lookalike_action: Action::Refuse,
            scam_rules: vec![
                ScamRule {
                    kind: ScamKind::OffPlatformPayment,
                    phrases: strings(&[
                        "western union",
                        "moneygram",
                        "gift card",
                        "gift cards",
                        "itunes card",
                        "itunes cards",
                        "google play card",
                        "google play cards",
                        "pay a deposit",
                        "deposit first",
                        "pay the deposit",
                        "send the deposit",
                        "bitcoin",
                        "crypto wallet",
                        "usdt",
                        "friends and family",
                        "courier fee",
                        "shipping agent",
                        "pay before viewing",
                        "pay before you view",
                    ]),
                    action: Action::Hold,
                },
                ScamRule {
                    kind: ScamKind::CodeRequest,
                    phrases: strings(&[
                        "send me the code",
                        "send me the otp",
                        "share the otp",
                        "what is the otp",
                        "give me the otp",
                        "the otp you received",
                        "the code you received",
                        "verification code",
                        "one time pin",
                        "your password",
                        "your pin number",
                        "your bank pin",
                        "atm pin",
                        "cvv",
                        "card number",
                    ]),
                    action: Action::Hold,
                },
                ScamRule {
                    kind: ScamKind::AdvanceFee,
                    phrases: strings(&[
                        "inheritance funds",
                        "you have won",
                        "claim your prize",
                        "lottery",
                        "release fee",
                        "clearance fee",
                        "customs fee",
                        "transfer fee",
                        "processing fee",
                    ]),
                    action: Action::Hold,
                },
                ScamRule {
                    kind: ScamKind::ChannelMove,
                    phrases: strings(&[
                        "whatsapp",
                        "telegram",
                        "signal me",
                        "text me on",
                        "sms me",
                        "call me on",
                        "email me",
                        "contact me on",
                        "my number is",
                    ]),
                    action: Action::Warn,
                },
            ],
            rate_limits: RateLimits {
                per_minute: 10,
                per_hour: 120,
                new_account_days: 7,
                new_account_per_minute: 4,
                new_account_per_hour: 30,
                listing_conversations_per_hour: 30,
                reports_per_hour: default_reports_per_hour(),
            },
            duplicates: DuplicateRule {
                max_conversations: 3,
                min_chars: 40,
                action: Action::Hold,
            },
            report_response_hours: default_report_hours(),
        }
    }
}

impl SafetyPolicy {
    /// Checks a policy a moderator saves; lists are normalised (lower case, trimmed).
    pub fn checked(mut self) -> Result<Self> {
        let clean = |field: &str, list: &mut Vec<String>| -> Result<()> {
            for item in list.iter_mut() {
                *item = item.trim().to_lowercase();
                if item.is_empty() || item.chars().count() > 100 {
                    return Err(Rejection::invalid(format!(
                        "{field}: entries are 1 to 100 characters"
                    )));
                }
            }
            list.sort();
            list.dedup();
            Ok(())
        };
        clean("blocked_words", &mut self.blocked_words)?;
        clean("blocked_domains", &mut self.blocked_domains)?;
        clean("shorteners", &mut self.shorteners)?;
        clean("official_domains", &mut self.official_domains)?;
        for rule in &mut self.scam_rules {
            clean("scam_rules.phrases", &mut rule.phrases)?;
        }
        let r = &self.rate_limits;
        if [
            r.per_minute,
            r.per_hour,
            r.new_account_per_minute,
            r.new_account_per_hour,
            r.listing_conversations_per_hour,
            r.reports_per_hour,
        ]
        .contains(&0)
        {
            return Err(Rejection::invalid("rate_limits: every limit is at least 1"));
        }
        if r.per_minute > r.per_hour || r.new_account_per_minute > r.new_account_per_hour {
            return Err(Rejection::invalid(
                "rate_limits: a minute's limit cannot exceed the hour's",
            ));
        }
        if self.report_response_hours == 0 {
            return Err(Rejection::invalid("report_response_hours: at least 1"));
        }
        if self.duplicates.max_conversations == 0 {
            return Err(Rejection::invalid(
                "duplicates.max_conversations: at least 1",
            ));
        }
        Ok(self)
    }
}

/// A link found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Link {
    pub url: String,
    pub domain: String,
}

/// Why a message got its action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub action: Action,
    /// A sentence for the sender (refused), the recipient (warned) or the moderator.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub action: Action,
    pub findings: Vec<Finding>,
    pub links: Vec<Link>,
}

impl Verdict {
    /// The reasons behind the verdict's own action, in one sentence.
    pub fn reason(&self) -> String {
        self.findings
            .iter()
            .filter(|f| f.action == self.action)
            .map(|f| f.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn add(&mut self, finding: Finding) {
        self.action = self.action.max(finding.action);
        self.findings.push(finding);
    }
}

/// Top-level domains links are recognised by without a scheme (`bit.ly/x`, `site.co.za`).
const TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "co", "za", "ly", "me", "app", "xyz", "top", "site",
    "online", "shop", "link", "click", "gl", "at", "cc", "gd", "us", "uk", "de", "ru", "cn", "tk",
    "ml", "ga", "cf", "gq", "live", "store", "website", "win", "loan",
];

/// The links in a text: with a scheme, starting `www.`, or a bare domain with a known
/// top-level domain. Email addresses are not links.
pub fn links(text: &str) -> Vec<Link> {
    text.split_whitespace()
        .filter_map(|token| {
            let token = token
                .trim_start_matches(['(', '[', '<', '"', '\''])
                .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '>', '"', '\'']);
            let lower = token.to_lowercase();
            if lower.contains('@') {
                return None;
            }
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            let host = rest.unwrap_or(&lower);
            let domain: String = host
                .split(['/', '?', '#', ':'])
                .next()
                .unwrap_or_default()
                .trim_start_matches("www.")
                .to_string();
            let labels: Vec<&str> = domain.split('.').collect();
            let well_formed = labels.len() >= 2
                && labels
                    .iter()
                    .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
            let tld = labels.last().copied().unwrap_or_default();
            let recognised = rest.is_some()
                || lower.starts_with("www.")
                || TLDS.contains(&tld) && labels[0].chars().any(char::is_alphabetic);
            (well_formed && recognised).then(|| Link {
                url: token.to_string(),
                domain,
            })
        })
        .collect()
}

fn on_domain(domain: &str, listed: &str) -> bool {
    domain == listed || domain.ends_with(&format!(".{listed}"))
}

/// Letters that digits and symbols stand in for, so `s@ypr0` reads `saypro`.
fn unconfuse(c: char) -> char {
    match c {
        '0' => 'o',
        '1' => 'l',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        other => other,
    }
}

/// Edits (insert, delete, substitute, swap neighbours) between two short words.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// A domain dressed up as one of SayPro's: it is not an official one, but a label reads
/// like the brand (`saypro-login.com`, `s4ypr0.co.za`, `sayrpo.net`), or it is
/// internationalised (`xn--`), the usual way to fake letters.
fn lookalike(domain: &str, official: &[String]) -> bool {
    if official.iter().any(|o| on_domain(domain, o)) {
        return false;
    }
    let brands: Vec<String> = official
        .iter()
        .filter_map(|o| o.split('.').next())
        .map(String::from)
        .collect();
    domain.split('.').any(|label| {
        if label.starts_with("xn--") {
            return true;
        }
        let plain: String = label
            .replace("rn", "m")
            .replace("vv", "w")
            .chars()
            .map(unconfuse)
            .filter(|c| *c != '-')
            .collect();
        brands
            .iter()
            .any(|brand| plain.contains(brand.as_str()) || distance(&plain, brand) == 1)
    })
}

/// Lower case, symbols standing in for letters read as letters (in words only, so phone
/// numbers stay numbers), punctuation as spaces, spelled-out letters joined (`O-T-P`);
/// padded with spaces so phrases match whole words: `" pay a deposit "`.
fn normalised(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut spelled = String::new();
    let lower = text.to_lowercase();
    let tokens = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '@' || c == '$'))
        .filter(|w| !w.is_empty());
    for token in tokens.chain([" "]) {
        let word: String = if token.chars().any(char::is_alphabetic) {
            token.chars().map(unconfuse).collect()
        } else {
            token.to_string()
        };
        if word.chars().count() == 1 && word.chars().all(char::is_alphabetic) {
            spelled.push_str(&word);
            continue;
        }
        if !spelled.is_empty() {
            words.push(std::mem::take(&mut spelled));
        }
        if word != " " {
            words.push(word);
        }
    }
    format!(" {} ", words.join(" "))
}

fn contains_phrase(normal_text: &str, phrase: &str) -> bool {
    let phrase = normalised(phrase);
    !phrase.trim().is_empty() && normal_text.contains(&phrase)
}

/// A South African phone number written out: `082 123 4567`, `+27 82 123 4567`.
fn has_phone_number(text: &str) -> bool {
    let mut digits = String::new();
    let mut runs = Vec::new();
    for c in text.chars().chain([' ']) {
        match c {
            '0'..='9' | '+' => digits.push(c),
            ' ' | '-' | '(' | ')' if !digits.is_empty() => {}
            // Anything else ends a number (a space or dash inside one continues it).
            _ if !digits.is_empty() => runs.push(std::mem::take(&mut digits)),
            _ => {}
        }
    }
    runs.iter().any(|run| {
        let plain = run.trim_start_matches('+');
        let local = plain
            .strip_prefix("27")
            .map(|rest| format!("0{rest}"))
            .unwrap_or_else(|| plain.to_string());
        local.len() == 10 && local.starts_with('0') && matches!(local.as_bytes()[1], b'6'..=b'8')
    })
}

fn has_email(text: &str) -> bool {
    text.split_whitespace().any(|token| {
        token
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
    })
}

/// Checks a message's text. `direct`: between a buyer and a seller, where scam rules
/// apply.
pub fn assess(policy: &SafetyPolicy, text: &str, direct: bool) -> Verdict {
    let mut verdict = Verdict {
        action: Action::Deliver,
        findings: Vec::new(),
        links: links(text),
    };
    let normal = normalised(text);
    for word in &policy.blocked_words {
        if contains_phrase(&normal, word) {
            verdict.add(Finding {
                rule: "blocked_word".into(),
                action: Action::Refuse,
                reason: "it contains language that is not allowed on SayPro".into(),
            });
            break;
        }
    }
    for link in verdict.links.clone() {
        let domain = link.domain.as_str();
        if policy.blocked_domains.iter().any(|d| on_domain(domain, d)) {
            verdict.add(Finding {
                rule: "blocked_domain".into(),
                action: Action::Refuse,
                reason: format!("links to {domain} are not allowed"),
            });
        } else if policy.shorteners.iter().any(|d| on_domain(domain, d)) {
            verdict.add(Finding {
                rule: "url_shortener".into(),
                action: policy.shortener_action,
                reason: format!("shortened links ({domain}) hide where they lead"),
            });
        } else if lookalike(domain, &policy.official_domains) {
            verdict.add(Finding {
                rule: "lookalike_link".into(),
                action: policy.lookalike_action,
                reason: format!("{domain} imitates SayPro's address"),
            });
        }
    }
    if direct {
        for rule in &policy.scam_rules {
            let contact =
                rule.kind == ScamKind::ChannelMove && (has_phone_number(text) || has_email(text));
            if contact || rule.phrases.iter().any(|p| contains_phrase(&normal, p)) {
                verdict.add(Finding {
                    rule: format!("scam:{}", scam_name(rule.kind)),
                    action: rule.action,
                    reason: scam_reason(rule.kind).into(),
                });
            }
        }
    }
    verdict
}

fn scam_name(kind: ScamKind) -> &'static str {
    match kind {
        ScamKind::OffPlatformPayment => "off_platform_payment",
        ScamKind::CodeRequest => "code_request",
        ScamKind::AdvanceFee => "advance_fee",
        ScamKind::ChannelMove => "channel_move",
    }
}

fn scam_reason(kind: ScamKind) -> &'static str {
    match kind {
        ScamKind::OffPlatformPayment => {
            "it asks for payment in a way scammers use (deposits, gift cards, money transfers)"
        }
        ScamKind::CodeRequest => "it asks for a code, PIN or password: SayPro never needs these",
        ScamKind::AdvanceFee => "it promises money or a prize in return for a fee",
        ScamKind::ChannelMove => {
            "it asks to continue outside SayPro: stay on SayPro until you have seen the item, and never pay in advance"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str) -> Action {
        assess(&SafetyPolicy::default(), text, true).action
    }

    /// Ordinary classifieds messages: a single one held or refused is a failure.
    const ORDINARY: &[&str] = &[
        "Hi, is the Corolla still available?",
        "Is the price negotiable? I can pay R95 000 cash on collection.",
        "Can I come view it on Saturday morning in Sandton?",
        "Does the phone come with the original box and charger?",
        "What's the mileage, and has it been serviced at Toyota?",
        "I'm interested in the flat. Are pets allowed? When is it available from?",
        "Thanks! I paid through SayPro checkout, order 1042.",
        "The ad says 3 bedrooms, is the garage included in the rent of R8,500?",
        "Great, see you at 10:00 at the Engen garage on Main Road.",
        "Please see the photos on saypro.co.za/listing/L-1001 again, the second one.",
        "Sorry, I meant 2.5 litres not 2.0. Let me know e.g. tomorrow.",
        "Can you deliver to Durban? I'm happy to pay for the courier myself when it arrives.",
        "Send me your pin location and I'll come to you. Did you win the bid on the other one?",
    ];

    /// Spam and scams as they arrive on classifieds sites.
    const SCAMS: &[(&str, Action)] = &[
        (
            "I am overseas, my shipping agent will collect. Please pay the courier fee first via Western Union.",
            Action::Hold,
        ),
        (
            "I sent you an OTP by SMS, please send me the code so I can verify the payment",
            Action::Hold,
        ),
        (
            "Please share the O-T-P you received, it is for the SayPro escrow",
            Action::Hold,
        ),
        (
            "To hold the item pay a deposit first to my FNB account, then you can view",
            Action::Hold,
        ),
        (
            "Congratulations, you have won a Samsung TV! Pay the R250 clearance fee to claim your prize",
            Action::Hold,
        ),
        (
            "Buy with Google Play cards and I will ship today",
            Action::Hold,
        ),
        (
            "Verify your account at https://saypro-login.com/verify or it will be closed",
            Action::Refuse,
        ),
        (
            "Your ad was reported, confirm at www.s4ypr0.co.za/account",
            Action::Refuse,
        ),
        ("Cheap followers at bit.ly/3xYzAbC", Action::Hold),
        (
            "Contact me on WhatsApp, I am not always on here",
            Action::Warn,
        ),
        ("Call me on 082 123 4567 for a quicker answer", Action::Warn),
        ("Email me at deals4u@mail.com for more pics", Action::Warn),
        ("wh@tsapp me +27 82 123 4567", Action::Warn),
    ];

    #[test]
    fn ordinary_messages_pass_and_scams_are_caught_with_the_right_action() {
        for text in ORDINARY {
            assert_eq!(verdict(text), Action::Deliver, "false positive: {text}");
        }
        for (text, expected) in SCAMS {
            assert_eq!(verdict(text), *expected, "{text}");
        }
    }

    #[test]
    fn support_messages_about_codes_and_payments_are_not_scams() {
        let policy = SafetyPolicy::default();
        for text in [
            "My OTP is not arriving, can you send me the code again?",
            "I paid a deposit for a featured ad but it is not showing",
        ] {
            assert_eq!(
                assess(&policy, text, false).action,
                Action::Deliver,
                "{text}"
            );
        }
        let phishing = assess(&policy, "They sent me to saypr0.online to log in", false);
        assert_eq!(
            phishing.action,
            Action::Refuse,
            "links are checked everywhere"
        );
    }

    #[test]
    fn blocked_words_and_domains_are_refused_with_a_reason_and_words_match_whole() {
        let policy = SafetyPolicy {
            blocked_domains: vec!["scam-shop.xyz".into()],
            ..SafetyPolicy::default()
        };
        let refused = assess(&policy, "Go to https://www.scam-shop.xyz/deal now", true);
        assert_eq!(refused.action, Action::Refuse);
        assert_eq!(refused.reason(), "links to scam-shop.xyz are not allowed");
        assert_eq!(
            assess(&policy, "You f*ck... no, you FUCKING idiot", true).action,
            Action::Refuse
        );
        assert_eq!(
            assess(&policy, "Scunthorpe is far", true).action,
            Action::Deliver
        );
    }

    #[test]
    fn links_are_found_with_or_without_a_scheme_but_not_in_emails_or_numbers() {
        let found: Vec<String> = links("See https://saypro.co.za/l/1, www.Example.com and bit.ly/x (or tinyurl.com). Price 2.5 and a@b.com")
            .into_iter()
            .map(|l| l.domain)
            .collect();
        assert_eq!(
            found,
            ["saypro.co.za", "example.com", "bit.ly", "tinyurl.com"]
        );
    }

    #[test]
    fn lookalikes_are_told_from_the_real_domains() {
        let official = SafetyPolicy::default().official_domains;
        for fake in [
            "saypro-login.com",
            "s4ypr0.co.za",
            "sayrpo.net",
            "saypro.co.za.evil.ru",
            "xn--sypro-2ua.com",
            "secure-saypro.online.tk",
        ] {
            assert!(lookalike(fake, &official), "{fake}");
        }
        for real in [
            "saypro.co.za",
            "www.saypro.online",
            "images.saypro.co.za",
            "example.com",
            "toyota.co.za",
        ] {
            assert!(!lookalike(real, &official), "{real}");
        }
    }

    #[test]
    fn a_saved_policy_is_normalised_and_checked() {
        let mut policy = SafetyPolicy {
            blocked_words: vec![" Scam ".into(), "scam".into()],
            ..SafetyPolicy::default()
        };
        assert_eq!(policy.clone().checked().unwrap().blocked_words, ["scam"]);
        policy.rate_limits.per_minute = 0;
        assert!(policy.clone().checked().is_err());
        policy.rate_limits.per_minute = 500;
        assert!(
            policy
                .checked()
                .unwrap_err()
                .to_string()
                .contains("rate_limits")
        );
    }
}
