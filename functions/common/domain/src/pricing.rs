//! What the system's use costs: the meters every function writes into the daily stats
//! (see `metering`), priced by a table that is configuration (`PRICE_TABLE`, JSON).
//!
//! The defaults are AWS list prices in US dollars for us-east-1 (on-demand DynamoDB
//! after the November 2024 reduction, Lambda on arm64, HTTP APIs, SES outbound email);
//! the SMS rate per destination country is the operator's to set (SNS prices SMS by
//! country and changes them often). Set the region's prices when deploying elsewhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::stats::Figures;

/// Meter names, as counted into the `USAGE` stats.
pub mod meter {
    /// Thousandths of a read request unit (so half units stay whole numbers).
    pub const READ_MILLI_UNITS: &str = "ddb_read_milli";
    pub const WRITE_UNITS: &str = "ddb_write";
    pub const API_REQUESTS: &str = "api_requests";
    pub const EMAILS: &str = "emails";
    pub const INVOCATIONS: &str = "invocations_";
    /// Billed milliseconds × configured memory (MB), per function.
    pub const MB_MS: &str = "mb_ms_";
    /// SMS segments by destination country (ISO 3166 alpha-2, or `other`).
    pub const SMS_SEGMENTS: &str = "sms_segments_";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// Where the prices come from, shown with every cost figure.
    pub source: String,
    pub currency: String,
    pub dynamodb_per_million_reads: f64,
    pub dynamodb_per_million_writes: f64,
    pub lambda_per_million_requests: f64,
    pub lambda_per_gb_second: f64,
    pub api_per_million_requests: f64,
    pub ses_per_thousand_emails: f64,
    /// Per SMS segment, by destination country; `other` for the rest.
    pub sms_per_segment: BTreeMap<String, f64>,
}

impl Default for PriceTable {
    fn default() -> Self {
        Self {
            source: "AWS list prices, us-east-1 (set PRICE_TABLE for your region and SMS operator rates)".into(),
            currency: "USD".into(),
            dynamodb_per_million_reads: 0.125,
            dynamodb_per_million_writes: 0.625,
            lambda_per_million_requests: 0.20,
            lambda_per_gb_second: 0.000_013_333_4,
            api_per_million_requests: 1.00,
            ses_per_thousand_emails: 0.10,
            sms_per_segment: BTreeMap::from([
                ("ZA".to_string(), 0.0205),
                ("other".to_string(), 0.05),
            ]),
        }
    }
}

/// Cost by service, in the price table's currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cost {
    pub dynamodb_reads: f64,
    pub dynamodb_writes: f64,
    pub lambda_requests: f64,
    pub lambda_compute: f64,
    pub api_requests: f64,
    pub email: f64,
    /// SMS by destination country.
    pub sms: BTreeMap<String, f64>,
    pub total: f64,
}

/// The metered use behind a cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub read_units: f64,
    pub write_units: i64,
    pub invocations: i64,
    pub gb_seconds: f64,
    pub api_requests: i64,
    pub emails: i64,
    pub sms_segments: BTreeMap<String, i64>,
}

impl Usage {
    pub fn of(figures: &Figures) -> Self {
        let sum_prefixed = |prefix: &str| -> i64 {
            figures
                .counts
                .iter()
                .filter(|(name, _)| name.starts_with(prefix))
                .map(|(_, n)| n)
                .sum()
        };
        Self {
            read_units: figures.count(meter::READ_MILLI_UNITS) as f64 / 1000.0,
            write_units: figures.count(meter::WRITE_UNITS),
            invocations: sum_prefixed(meter::INVOCATIONS),
            gb_seconds: sum_prefixed(meter::MB_MS) as f64 / 1024.0 / 1000.0,
            api_requests: figures.count(meter::API_REQUESTS),
            emails: figures.count(meter::EMAILS),
            sms_segments: figures
                .counts
                .iter()
                .filter_map(|(name, n)| {
                    Some((name.strip_prefix(meter::SMS_SEGMENTS)?.to_string(), *n))
                })
                .collect(),
        }
    }
}

impl PriceTable {
    pub fn cost(&self, usage: &Usage) -> Cost {
        let per_million = |n: f64, price: f64| n / 1_000_000.0 * price;
        let sms: BTreeMap<String, f64> = usage
            .sms_segments
            .iter()
            .map(|(country, segments)| {
                let rate = self
                    .sms_per_segment
                    .get(country)
                    .or_else(|| self.sms_per_segment.get("other"))
                    .copied()
                    .unwrap_or_default();
                (country.clone(), *segments as f64 * rate)
            })
            .collect();
        let mut cost = Cost {
            dynamodb_reads: per_million(usage.read_units, self.dynamodb_per_million_reads),
            dynamodb_writes: per_million(
                usage.write_units as f64,
                self.dynamodb_per_million_writes,
            ),
            lambda_requests: per_million(
                usage.invocations as f64,
                self.lambda_per_million_requests,
            ),
            lambda_compute: usage.gb_seconds * self.lambda_per_gb_second,
            api_requests: per_million(usage.api_requests as f64, self.api_per_million_requests),
            email: usage.emails as f64 / 1000.0 * self.ses_per_thousand_emails,
            sms,
            total: 0.0,
        };
        cost.total = cost.dynamodb_reads
            + cost.dynamodb_writes
            + cost.lambda_requests
            + cost.lambda_compute
            + cost.api_requests
            + cost.email
            + cost.sms.values().sum::<f64>();
        cost
    }
}

/// The SMS segments a text takes: 160 GSM-7 characters in one, 153 each when split;
/// anything outside GSM-7 makes it UCS-2: 70 in one, 67 each when split.
pub fn sms_segments(text: &str) -> u32 {
    const GSM7: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENDED: &str = "^{}\\[~]|€\u{c}";
    let (gsm, units) = text.chars().fold((true, 0u32), |(gsm, units), c| {
        if GSM7.contains(c) {
            (gsm, units + 1)
        } else if EXTENDED.contains(c) {
            (gsm, units + 2)
        } else {
            (false, units + 1)
        }
    });
    let (single, part) = if gsm { (160, 153) } else { (70, 67) };
    let units = if gsm {
        units
    } else {
        text.chars().count() as u32
    };
    if units <= single {
        1
    } else {
        units.div_ceil(part)
    }
}

/// The destination country of an E.164 number, for SMS prices: southern Africa and a
/// few others by calling code; `other` otherwise.
pub fn sms_country(number: &str) -> &'static str {
    const CODES: [(&str, &str); 10] = [
        ("+27", "ZA"),
        ("+264", "NA"),
        ("+267", "BW"),
        ("+263", "ZW"),
        ("+258", "MZ"),
        ("+266", "LS"),
        ("+268", "SZ"),
        ("+260", "ZM"),
        ("+44", "GB"),
        ("+1", "US"),
    ];
    CODES
        .into_iter()
        .find(|(code, _)| number.starts_with(code))
        .map_or("other", |(_, country)| country)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_the_gsm_and_ucs2_limits() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        assert_eq!(
            sms_segments(&"€".repeat(80)),
            1,
            "extended characters take two"
        );
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        assert_eq!(sms_segments(&format!("{}😀", "a".repeat(69))), 1);
        assert_eq!(sms_segments(&format!("{}😀", "a".repeat(70))), 2);
    }

    #[test]
    fn countries_come_from_the_calling_code() {
        assert_eq!(sms_country("+27821234567"), "ZA");
        assert_eq!(sms_country("+264811234567"), "NA");
        assert_eq!(sms_country("+33612345678"), "other");
    }

    #[test]
    fn a_month_of_use_is_priced_by_the_table() {
        let mut figures = Figures::default();
        for (name, n) in [
            (meter::READ_MILLI_UNITS, 2_000_000_000),
            (meter::WRITE_UNITS, 1_000_000),
            ("invocations_send", 600_000),
            ("invocations_notify", 400_000),
            ("mb_ms_send", 1024 * 1000 * 100),
            (meter::API_REQUESTS, 1_000_000),
            (meter::EMAILS, 10_000),
            ("sms_segments_ZA", 100),
        ] {
            figures.counts.insert(name.to_string(), n);
        }
        let usage = Usage::of(&figures);
        assert_eq!(
            (usage.read_units, usage.invocations, usage.gb_seconds),
            (2_000_000.0, 1_000_000, 100.0)
        );
        let cost = PriceTable::default().cost(&usage);
        assert!((cost.dynamodb_reads - 0.25).abs() < 1e-9);
        assert!((cost.dynamodb_writes - 0.625).abs() < 1e-9);
        assert!((cost.lambda_requests - 0.20).abs() < 1e-9);
        assert!((cost.api_requests - 1.0).abs() < 1e-9);
        assert!((cost.email - 1.0).abs() < 1e-9);
        assert!((cost.sms["ZA"] - 2.05).abs() < 1e-9);
        let expected = 0.25 + 0.625 + 0.2 + 100.0 * 0.000_013_333_4 + 1.0 + 1.0 + 2.05;
        assert!((cost.total - expected).abs() < 1e-9, "{}", cost.total);
    }
}
