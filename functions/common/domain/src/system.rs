//! The system's own health, as the functions meter it (`metering`): each API answer's
//! latency by route group and whether it was a 5xx, each invocation that failed, each
//! instance's first invocation (a cold start). Counted into the day's `USAGE` stats with
//! the rest of the metering, so it reads the same locally as on AWS.

use std::time::Duration;

use super::histogram::bucket;

/// Which part of the API a request is for, by its path's prefix: the console's
/// reports (`/v1/admin/reports`, `/costs`, `/dashboard`), the rest of the admin routes,
/// the website's own backend (`/v1/listings`, `/v1/users`: the service routes), and
/// everything else, which users call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteGroup {
    Users,
    Admins,
    Website,
    Reports,
}

impl RouteGroup {
    pub const ALL: [RouteGroup; 4] = [
        RouteGroup::Users,
        RouteGroup::Admins,
        RouteGroup::Website,
        RouteGroup::Reports,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RouteGroup::Users => "users",
            RouteGroup::Admins => "admins",
            RouteGroup::Website => "website",
            RouteGroup::Reports => "reports",
        }
    }

    /// Its letter in the latency counters' names (short: every name is in the item).
    fn letter(self) -> &'static str {
        match self {
            RouteGroup::Users => "u",
            RouteGroup::Admins => "a",
            RouteGroup::Website => "w",
            RouteGroup::Reports => "r",
        }
    }

    /// The group of a request path (or route template: the same prefixes).
    pub fn of(path: &str) -> RouteGroup {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if [
            "/v1/admin/reports",
            "/v1/admin/costs",
            "/v1/admin/dashboard",
        ]
        .into_iter()
        .any(under)
        {
            RouteGroup::Reports
        } else if under("/v1/admin") {
            RouteGroup::Admins
        } else if under("/v1/listings") || under("/v1/users") {
            RouteGroup::Website
        } else {
            RouteGroup::Users
        }
    }
}

/// Meter names, as counted into the `USAGE` stats beside `pricing::meter`'s.
pub mod meter {
    /// `lat_<group letter>_<bucket>`: answers by route group, in geometric buckets of
    /// milliseconds (`histogram::bucket`).
    pub const LATENCY: &str = "lat_";
    /// Answers with a 5xx status, per function.
    pub const SERVER_ERRORS: &str = "http_5xx_";
    /// Invocations that returned an error to the Lambda runtime, per function.
    pub const FAILED: &str = "failed_";
    /// First invocations of an instance, per function.
    pub const COLD_STARTS: &str = "cold_starts_";
    pub const EMAILS_FAILED: &str = "emails_failed";
    pub const SMS_SENT: &str = "sms_sent";
    pub const SMS_FAILED: &str = "sms_failed";
    pub const WEBHOOK_POSTS: &str = "webhook_posts";
    /// Webhook attempts answered with other than 2xx, or not at all: each is retried on
    /// the schedule until its attempts run out.
    pub const WEBHOOK_POSTS_FAILED: &str = "webhook_posts_failed";
}

/// The counter an answer of `group` that took `elapsed` adds one to.
pub fn latency_meter(group: RouteGroup, elapsed: Duration) -> String {
    let milliseconds = elapsed.as_secs_f64() * 1000.0;
    format!(
        "{}{}_{:03}",
        meter::LATENCY,
        group.letter(),
        bucket(milliseconds)
    )
}

/// A latency counter's group and bucket.
pub fn parse_latency_meter(name: &str) -> Option<(RouteGroup, u32)> {
    let (letter, bucket) = name.strip_prefix(meter::LATENCY)?.split_once('_')?;
    let group = RouteGroup::ALL.into_iter().find(|g| g.letter() == letter)?;
    Some((group, bucket.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_the_path_prefix() {
        for (path, group) in [
            ("/v1/admin/reports/2026-11", RouteGroup::Reports),
            ("/v1/admin/costs/{month}", RouteGroup::Reports),
            ("/v1/admin/dashboard", RouteGroup::Reports),
            ("/v1/admin/conversations/{id}/replies", RouteGroup::Admins),
            ("/v1/admin/reportsx", RouteGroup::Admins),
            ("/v1/listings/{id}", RouteGroup::Website),
            ("/v1/users/u1", RouteGroup::Website),
            ("/v1/conversations", RouteGroup::Users),
            ("/v1/listingsx", RouteGroup::Users),
            ("/health", RouteGroup::Users),
        ] {
            assert_eq!(RouteGroup::of(path), group, "{path}");
        }
    }

    #[test]
    fn a_latency_counter_reads_back_as_its_group_and_bucket() {
        let name = latency_meter(RouteGroup::Admins, Duration::from_millis(120));
        assert_eq!(name, "lat_a_051");
        assert_eq!(parse_latency_meter(&name), Some((RouteGroup::Admins, 51)));
        assert_eq!(
            latency_meter(RouteGroup::Users, Duration::from_micros(300)),
            "lat_u_000"
        );
        assert_eq!(parse_latency_meter("lat_x_001"), None);
    }
}
