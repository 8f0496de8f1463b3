//! The monthly report as CSV (one figure per row) and as HTML with SVG charts drawn
//! here, inline-styled so it reads the same in a browser and in an email. Every figure
//! is also in a table, so a mail client that drops SVG loses no number.

use std::fmt::Write;

use domain::html::escape;
use domain::report::{DayVolume, Headline, MonthlyReport, Row, TimeFigures, Times};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const BRAND: &str = "#0b5394";

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v}"))
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per figure: `section,name,metric,value`.
pub fn csv(report: &MonthlyReport) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut add = |section: &str, name: &str, metric: &str, value: String| {
        rows.push([section.into(), name.into(), metric.into(), value]);
    };
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for (label, headline) in [
        ("this_month", &report.headline),
        ("previous_month", &report.previous),
    ] {
        let h: &Headline = headline;
        add("headline", label, "messages", h.messages.to_string());
        add(
            "headline",
            label,
            "conversations",
            h.conversations.to_string(),
        );
        add(
            "headline",
            label,
            "first_response_median_minutes",
            opt(h.first_response_median_minutes),
        );
        add(
            "headline",
            label,
            "average_response_minutes",
            opt(h.average_response_minutes),
        );
        add(
            "headline",
            label,
            "resolution_median_minutes",
            opt(h.resolution_median_minutes),
        );
        add("headline", label, "sla_compliance", opt(h.sla_compliance));
        add("headline", label, "satisfaction", opt(h.satisfaction));
        add("headline", label, "nps", opt(h.nps));
        add(
            "headline",
            label,
            "complaint_resolution_rate",
            opt(h.complaint_resolution_rate),
        );
        add("headline", label, "cost", opt(h.cost));
    }
    for (name, figures) in time_rows(report) {
        for (clock, times) in [
            ("business", &figures.business),
            ("wall_clock", &figures.wall_clock),
        ] {
            add(
                "times",
                name,
                &format!("{clock}_count"),
                times.count.to_string(),
            );
            add(
                "times",
                name,
                &format!("{clock}_mean_minutes"),
                opt(times.mean_minutes),
            );
            add(
                "times",
                name,
                &format!("{clock}_median_minutes"),
                opt(times.median_minutes),
            );
            add(
                "times",
                name,
                &format!("{clock}_p90_minutes"),
                opt(times.p90_minutes),
            );
        }
        add(
            "times",
            name,
            "target_minutes",
            figures.target_minutes.to_string(),
        );
        add("times", name, "within_target", opt(figures.within_target));
    }
    let sla = &report.sla;
    add(
        "sla",
        "responses",
        "on_time",
        sla.responses_on_time.to_string(),
    );
    add("sla", "responses", "total", sla.responses.to_string());
    add(
        "sla",
        "responses",
        "compliance",
        opt(sla.response_compliance),
    );
    add(
        "sla",
        "resolutions",
        "on_time",
        sla.resolutions_on_time.to_string(),
    );
    add("sla", "resolutions", "total", sla.resolutions.to_string());
    add(
        "sla",
        "resolutions",
        "compliance",
        opt(sla.resolution_compliance),
    );
    let v = &report.volumes;
    for (metric, n) in [
        ("messages", v.messages),
        ("user_to_user", v.user_to_user),
        ("user_to_admin", v.user_to_admin),
        ("from_users", v.from_users),
        ("from_admins", v.from_admins),
        ("automated", v.automated),
        ("support_conversations", v.support_conversations),
        ("direct_conversations", v.direct_conversations),
    ] {
        add("volumes", "month", metric, n.to_string());
    }
    for day in &v.daily {
        add(
            "volumes",
            &day.date.to_string(),
            "daily_messages",
            day.messages.to_string(),
        );
    }
    for week in &v.weekly {
        add(
            "volumes",
            &week.date.to_string(),
            "weekly_messages",
            week.messages.to_string(),
        );
    }
    for (weekday, hours) in report.heatmap.iter().enumerate() {
        for (hour, n) in hours.iter().enumerate() {
            add(
                "heatmap",
                WEEKDAYS[weekday],
                &format!("{hour:02}:00"),
                n.to_string(),
            );
        }
    }
    for (section, table) in [
        ("agents", &report.agents),
        ("teams", &report.teams),
        ("categories", &report.categories),
    ] {
        for row in table {
            add(section, &row.name, "opened", row.opened.to_string());
            add(section, &row.name, "responses", row.responses.to_string());
            add(
                section,
                &row.name,
                "first_response_median_minutes",
                opt(row.first_response_median_minutes),
            );
            add(
                section,
                &row.name,
                "average_response_minutes",
                opt(row.average_response_minutes),
            );
            add(section, &row.name, "resolved", row.resolved.to_string());
            add(
                section,
                &row.name,
                "sla_compliance",
                opt(row.sla_compliance),
            );
            add(section, &row.name, "ratings", row.ratings.to_string());
            add(section, &row.name, "satisfaction", opt(row.satisfaction));
        }
    }
    let s = &report.satisfaction;
    add("satisfaction", "all", "ratings", s.ratings.to_string());
    for (stars, n) in s.distribution.iter().enumerate() {
        add(
            "satisfaction",
            "all",
            &format!("stars_{}", stars + 1),
            n.to_string(),
        );
    }
    add("satisfaction", "all", "average", opt(s.average));
    add("satisfaction", "all", "csat", opt(s.csat));
    add("satisfaction", "all", "clarity", opt(s.clarity));
    add("satisfaction", "all", "timeliness", opt(s.timeliness));
    add("satisfaction", "all", "helpfulness", opt(s.helpfulness));
    let n = &report.nps;
    add("nps", "all", "answers", n.answers.to_string());
    add("nps", "all", "promoters", n.promoters.to_string());
    add("nps", "all", "passives", n.passives.to_string());
    add("nps", "all", "detractors", n.detractors.to_string());
    add("nps", "all", "score", opt(n.score));
    let c = &report.complaints;
    add("complaints", "all", "received", c.received.to_string());
    add("complaints", "all", "resolved", c.resolved.to_string());
    add(
        "complaints",
        "all",
        "resolution_rate",
        opt(c.resolution_rate),
    );
    let l = &report.listings;
    add(
        "listings",
        "all",
        "active_listings",
        l.active_listings.to_string(),
    );
    add(
        "listings",
        "all",
        "listings_messaged",
        l.listings_messaged.to_string(),
    );
    add("listings", "all", "share_messaged", opt(l.share_messaged));
    let cost = &report.cost.cost;
    for (metric, value) in [
        ("dynamodb_reads", cost.dynamodb_reads),
        ("dynamodb_writes", cost.dynamodb_writes),
        ("lambda_requests", cost.lambda_requests),
        ("lambda_compute", cost.lambda_compute),
        ("api_requests", cost.api_requests),
        ("email", cost.email),
        ("total", cost.total),
    ] {
        add("cost", &report.cost.currency, metric, value.to_string());
    }
    for (country, value) in &cost.sms {
        add(
            "cost",
            &report.cost.currency,
            &format!("sms_{country}"),
            value.to_string(),
        );
    }
    add(
        "cost",
        &report.cost.currency,
        "per_conversation",
        opt(report.cost.per_conversation),
    );

    let mut out = String::from("section,name,metric,value\n");
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn time_rows(report: &MonthlyReport) -> [(&'static str, &TimeFigures); 3] {
    [
        ("first_response", &report.first_response),
        ("response", &report.response),
        ("resolution", &report.resolution),
    ]
}

/// A vertical bar chart of labelled values.
pub fn bar_chart(title: &str, bars: &[(String, i64)], width: u32, height: u32) -> String {
    let max = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let (left, bottom, top) = (36.0, 28.0, 24.0);
    let plot_height = f64::from(height) - bottom - top;
    let slot = (f64::from(width) - left) / bars.len().max(1) as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\" font-family=\"Arial,Helvetica,sans-serif\" font-size=\"10\">",
        escape(title)
    );
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"14\" font-size=\"12\" font-weight=\"bold\" fill=\"#111827\">{}</text>",
        escape(title)
    );
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#6b7280\">{max}</text>",
        left - 4.0,
        top + 8.0
    );
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{width}\" y2=\"{}\" stroke=\"#d1d5db\"/>",
        top + plot_height,
        top + plot_height
    );
    let label_every = (bars.len() / 16).max(1);
    for (i, (label, value)) in bars.iter().enumerate() {
        let bar_height = plot_height * (*value as f64) / (max as f64);
        let x = left + slot * i as f64 + slot * 0.1;
        let y = top + plot_height - bar_height;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar_height:.1}\" fill=\"{BRAND}\"><title>{}: {value}</title></rect>",
            slot * 0.8,
            escape(label)
        );
        if i % label_every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">{}</text>",
                x + slot * 0.4,
                f64::from(height) - 10.0,
                escape(label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Weekday × hour cells shaded by volume.
pub fn heatmap_chart(grid: &[[i64; 24]; 7]) -> String {
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    let (cell, left, top) = (20.0, 36.0, 30.0);
    let (width, height) = (left + cell * 24.0 + 4.0, top + cell * 7.0 + 4.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Messages by weekday and hour\" font-family=\"Arial,Helvetica,sans-serif\" font-size=\"9\">"
    );
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"12\" font-size=\"12\" font-weight=\"bold\" fill=\"#111827\">Messages by weekday and hour (SAST)</text>"
    );
    for hour in (0..24).step_by(3) {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">{hour:02}</text>",
            left + cell * f64::from(hour) + cell / 2.0,
            top - 4.0
        );
    }
    for (weekday, hours) in grid.iter().enumerate() {
        let y = top + cell * weekday as f64;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#374151\">{}</text>",
            left - 4.0,
            y + cell * 0.65,
            WEEKDAYS[weekday]
        );
        for (hour, n) in hours.iter().enumerate() {
            let opacity = if *n == 0 {
                0.04
            } else {
                0.15 + 0.85 * (*n as f64) / (max as f64)
            };
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{BRAND}\" fill-opacity=\"{opacity:.2}\"><title>{} {hour:02}:00: {n}</title></rect>",
                left + cell * hour as f64,
                cell - 2.0,
                cell - 2.0,
                WEEKDAYS[weekday]
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let cell = "padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left";
    let mut html = String::from(
        "<table style=\"border-collapse:collapse;font-size:13px;margin:8px 0 16px\"><tr>",
    );
    for h in head {
        let _ = write!(
            html,
            "<th style=\"{cell};background:#f3f4f6\">{}</th>",
            escape(h)
        );
    }
    html.push_str("</tr>");
    for row in rows {
        html.push_str("<tr>");
        for value in row {
            let _ = write!(html, "<td style=\"{cell}\">{}</td>", escape(value));
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    html
}

fn change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(now), Some(before)) if before != 0.0 => {
            format!("{:+.1}%", (now - before) / before.abs() * 100.0)
        }
        _ => "—".into(),
    }
}

fn times_cells(times: &Times) -> [String; 3] {
    [
        number(times.mean_minutes),
        number(times.median_minutes),
        number(times.p90_minutes),
    ]
}

fn rows_table(rows: &[Row]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.opened.to_string(),
                r.responses.to_string(),
                number(r.first_response_median_minutes),
                number(r.average_response_minutes),
                r.resolved.to_string(),
                percent(r.sla_compliance),
                format!("{} ({})", number(r.satisfaction), r.ratings),
            ]
        })
        .collect();
    table(
        &[
            "",
            "Opened",
            "Responses",
            "FRT median (min)",
            "Avg response (min)",
            "Resolved",
            "SLA met",
            "Rating (n)",
        ],
        &body,
    )
}

fn day_bars(days: &[DayVolume], label: impl Fn(&DayVolume) -> String) -> Vec<(String, i64)> {
    days.iter().map(|d| (label(d), d.messages)).collect()
}

/// The report as one HTML document.
pub fn html(report: &MonthlyReport) -> String {
    let h = |text: &str| {
        format!(
            "<h2 style=\"font-size:16px;color:{BRAND};margin:24px 0 4px\">{}</h2>",
            escape(text)
        )
    };
    let (now, before) = (&report.headline, &report.previous);
    let as_f = |n: i64| Some(n as f64);
    let headline_rows = vec![
        (
            "Messages",
            now.messages.to_string(),
            before.messages.to_string(),
            change(as_f(now.messages), as_f(before.messages)),
        ),
        (
            "Conversations",
            now.conversations.to_string(),
            before.conversations.to_string(),
            change(as_f(now.conversations), as_f(before.conversations)),
        ),
        (
            "First response, median (business min)",
            number(now.first_response_median_minutes),
            number(before.first_response_median_minutes),
            change(
                now.first_response_median_minutes,
                before.first_response_median_minutes,
            ),
        ),
        (
            "Average response (business min)",
            number(now.average_response_minutes),
            number(before.average_response_minutes),
            change(
                now.average_response_minutes,
                before.average_response_minutes,
            ),
        ),
        (
            "Resolution, median (business min)",
            number(now.resolution_median_minutes),
            number(before.resolution_median_minutes),
            change(
                now.resolution_median_minutes,
                before.resolution_median_minutes,
            ),
        ),
        (
            "SLA compliance",
            percent(now.sla_compliance),
            percent(before.sla_compliance),
            change(now.sla_compliance, before.sla_compliance),
        ),
        (
            "Satisfaction (1–5)",
            number(now.satisfaction),
            number(before.satisfaction),
            change(now.satisfaction, before.satisfaction),
        ),
        (
            "NPS",
            number(now.nps),
            number(before.nps),
            change(now.nps, before.nps),
        ),
        (
            "Complaint resolution rate",
            percent(now.complaint_resolution_rate),
            percent(before.complaint_resolution_rate),
            change(
                now.complaint_resolution_rate,
                before.complaint_resolution_rate,
            ),
        ),
        (
            "Cost (USD)",
            number(now.cost.map(|c| (c * 100.0).round() / 100.0)),
            number(before.cost.map(|c| (c * 100.0).round() / 100.0)),
            change(now.cost, before.cost),
        ),
    ]
    .into_iter()
    .map(|(a, b, c, d)| vec![a.to_string(), b, c, d])
    .collect::<Vec<_>>();

    let time_body: Vec<Vec<String>> = time_rows(report)
        .iter()
        .map(|(name, t)| {
            let label = match *name {
                "first_response" => "First response",
                "response" => "Every response",
                _ => "Resolution",
            };
            let mut row = vec![label.to_string(), t.business.count.to_string()];
            row.extend(times_cells(&t.business));
            row.extend(times_cells(&t.wall_clock));
            row.push(format!("{} min", t.target_minutes));
            row.push(percent(t.within_target));
            row
        })
        .collect();

    let v = &report.volumes;
    let daily = bar_chart(
        "Messages per day",
        &day_bars(&v.daily, |d| d.date.format("%d").to_string()),
        640,
        180,
    );
    let s = &report.satisfaction;
    let stars: Vec<(String, i64)> = s
        .distribution
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("{}★", i + 1), *n))
        .collect();
    let peak: Vec<Vec<String>> = report
        .peak_hours
        .iter()
        .map(|p| {
            vec![
                WEEKDAYS[p.weekday as usize].to_string(),
                format!("{:02}:00", p.hour),
                p.messages.to_string(),
            ]
        })
        .collect();
    let cost = &report.cost;
    let mut cost_rows = vec![
        vec![
            "DynamoDB reads".to_string(),
            format!("{:.1} RRU", cost.usage.read_units),
            format!("{:.4}", cost.cost.dynamodb_reads),
        ],
        vec![
            "DynamoDB writes".to_string(),
            format!("{} WRU", cost.usage.write_units),
            format!("{:.4}", cost.cost.dynamodb_writes),
        ],
        vec![
            "Lambda requests".to_string(),
            cost.usage.invocations.to_string(),
            format!("{:.4}", cost.cost.lambda_requests),
        ],
        vec![
            "Lambda compute".to_string(),
            format!("{:.1} GB-s", cost.usage.gb_seconds),
            format!("{:.4}", cost.cost.lambda_compute),
        ],
        vec![
            "API requests".to_string(),
            cost.usage.api_requests.to_string(),
            format!("{:.4}", cost.cost.api_requests),
        ],
        vec![
            "Email".to_string(),
            cost.usage.emails.to_string(),
            format!("{:.4}", cost.cost.email),
        ],
    ];
    for (country, value) in &cost.cost.sms {
        let segments = cost
            .usage
            .sms_segments
            .get(country)
            .copied()
            .unwrap_or_default();
        cost_rows.push(vec![
            format!("SMS {country}"),
            format!("{segments} segments"),
            format!("{value:.4}"),
        ]);
    }
    cost_rows.push(vec![
        "Total".into(),
        String::new(),
        format!("{:.4}", cost.cost.total),
    ]);

    let mut body = String::new();
    let _ = write!(
        body,
        "<h1 style=\"font-size:20px;margin:0 0 4px;color:#111827\">SayPro Monthly SCMR-5: messaging report for {}</h1>\
<p style=\"color:#6b7280;margin:0 0 16px\">Compared with {}. Times in business time count time on South African business days only; percentiles are within {:.1}% of the exact value.</p>",
        escape(&report.month),
        escape(&report.previous_month),
        report.percentile_error * 100.0
    );
    body.push_str(&h("Headline"));
    body.push_str(&table(
        &["", &report.month, &report.previous_month, "Change"],
        &headline_rows,
    ));
    body.push_str(&h("Response times (minutes)"));
    body.push_str(&table(
        &[
            "",
            "n",
            "Business mean",
            "median",
            "p90",
            "Wall mean",
            "median",
            "p90",
            "Target (business)",
            "Within target",
        ],
        &time_body,
    ));
    body.push_str(&h("SLA compliance"));
    body.push_str(&table(
        &["", "On time", "Total", "Compliance"],
        &[
            vec![
                "Responses".into(),
                report.sla.responses_on_time.to_string(),
                report.sla.responses.to_string(),
                percent(report.sla.response_compliance),
            ],
            vec![
                "Resolutions".into(),
                report.sla.resolutions_on_time.to_string(),
                report.sla.resolutions.to_string(),
                percent(report.sla.resolution_compliance),
            ],
        ],
    ));
    body.push_str(&h("Volumes"));
    body.push_str(&table(
        &[
            "Messages",
            "User ↔ admin",
            "User ↔ user",
            "From users",
            "From admins",
            "Automated",
            "Support conversations",
            "Buyer–seller conversations",
        ],
        &[vec![
            v.messages.to_string(),
            v.user_to_admin.to_string(),
            v.user_to_user.to_string(),
            v.from_users.to_string(),
            v.from_admins.to_string(),
            v.automated.to_string(),
            v.support_conversations.to_string(),
            v.direct_conversations.to_string(),
        ]],
    ));
    body.push_str(&daily);
    body.push_str(&table(
        &["Week of", "Messages"],
        &v.weekly
            .iter()
            .map(|w| vec![w.date.to_string(), w.messages.to_string()])
            .collect::<Vec<_>>(),
    ));
    body.push_str(&h("Peak hours"));
    body.push_str(&heatmap_chart(&report.heatmap));
    body.push_str(&table(&["Day", "Hour", "Messages"], &peak));
    body.push_str(&h("Agents"));
    body.push_str(&rows_table(&report.agents));
    body.push_str(&h("Teams"));
    body.push_str(&rows_table(&report.teams));
    body.push_str(&h("Categories"));
    body.push_str(&rows_table(&report.categories));
    body.push_str(&h("Satisfaction"));
    body.push_str(&bar_chart("Ratings by stars", &stars, 320, 160));
    body.push_str(&table(
        &[
            "Ratings",
            "Average",
            "CSAT (4–5★)",
            "Clarity",
            "Timeliness",
            "Helpfulness",
            "NPS",
            "NPS answers",
        ],
        &[vec![
            s.ratings.to_string(),
            number(s.average),
            percent(s.csat),
            number(s.clarity),
            number(s.timeliness),
            number(s.helpfulness),
            number(report.nps.score),
            report.nps.answers.to_string(),
        ]],
    ));
    body.push_str(&h("Complaints and listings"));
    body.push_str(&table(
        &[
            "Complaints received",
            "Resolved",
            "Resolution rate",
            "Active listings",
            "Listings messaged",
            "Share messaged",
        ],
        &[vec![
            report.complaints.received.to_string(),
            report.complaints.resolved.to_string(),
            percent(report.complaints.resolution_rate),
            report.listings.active_listings.to_string(),
            report.listings.listings_messaged.to_string(),
            percent(report.listings.share_messaged),
        ]],
    ));
    body.push_str(&h(&format!("Cost ({})", cost.currency)));
    body.push_str(&table(&["Service", "Use", "Cost"], &cost_rows));
    let _ = write!(
        body,
        "<p style=\"color:#6b7280;font-size:12px\">Per conversation: {}. Prices: {}.</p>",
        number(
            cost.per_conversation
                .map(|c| (c * 1_000_000.0).round() / 1_000_000.0)
        ),
        escape(&cost.price_source)
    );
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>SayPro SCMR-5 {}</title></head>\
<body style=\"margin:0;padding:24px;background:#ffffff;font-family:Arial,Helvetica,sans-serif;color:#111827\">{body}</body></html>",
        escape(&report.month)
    )
}
