//! The monthly report as CSV (one figure per row, from the one description of its
//! figures, [`Figures`]) and as HTML with SVG charts drawn here, inline-styled so it reads the same in a browser and in an email. Every figure
//! is also in a table, so a mail client that drops SVG loses no number.

use std::borrow::Cow;
use std::fmt::Write;

use crate::figures::{Cell, Figures};
use domain::html::escape;
use domain::report::{DayVolume, MonthlyReport, Row, TimeFigures, Times};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const BRAND: &str = "#0b5394";

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v}"))
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// A spreadsheet runs a cell that begins with one of these as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text a spreadsheet shows as text: a cell that would start a formula is prefixed with
/// `'` (OWASP's CSV-injection advice). Numbers are never passed here, so −3 stays −3.
fn neutralised(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn write_csv(figures: &Figures) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(["section", "name", "metric", "value"])?;
    for figure in figures.figures() {
        let value = match figure.cell {
            Cell::Text(text) => neutralised(text).into_owned(),
            number => number.raw(),
        };
        writer.write_record([
            neutralised(figure.section).as_ref(),
            neutralised(figure.name).as_ref(),
            neutralised(figure.metric).as_ref(),
            value.as_str(),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// One row per figure: `section,name,metric,value`, quoted where needed by the `csv`
/// crate; text neutralised against formulas, numbers as they are.
pub fn csv(report: &MonthlyReport) -> String {
    #[allow(
        clippy::expect_used,
        reason = "records of four fields written to memory: no I/O to fail, no lengths to differ"
    )]
    let bytes = write_csv(&Figures::of(report)).expect("a CSV written to memory");
    String::from_utf8_lossy(&bytes).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use domain::pricing::{Cost, Usage};
    use domain::report::{
        Complaints, Compliance, CostSummary, DayVolume, Headline, ListingCoverage, Nps, PeakHour,
        Row, Satisfaction, TimeFigures, Times, Volumes,
    };

    fn times(count: u64, mean: f64) -> Times {
        Times {
            count,
            mean_minutes: Some(mean),
            median_minutes: Some(9.0),
            p90_minutes: Some(240.0),
        }
    }

    fn row(name: &str) -> Row {
        Row {
            name: name.into(),
            opened: 2,
            responses: 5,
            first_response_median_minutes: Some(9.0),
            average_response_minutes: Some(57.4),
            resolved: 2,
            sla_compliance: Some(1.0),
            ratings: 2,
            satisfaction: Some(3.5),
        }
    }

    /// A month with every kind of figure, and names that a spreadsheet or a browser
    /// would take for code.
    fn sample(agents: &[&str]) -> MonthlyReport {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let figures = TimeFigures {
            target_minutes: 10,
            business: times(5, 57.4),
            wall_clock: times(5, 61.2),
            within_target: Some(0.6),
        };
        let mut heatmap = [[0; 24]; 7];
        heatmap[1][9] = 9;
        heatmap[1][10] = 2;
        heatmap[4][15] = 1;
        MonthlyReport {
            month: "2026-11".into(),
            previous_month: "2026-10".into(),
            percentile_error: 0.0488,
            headline: Headline {
                messages: 12,
                conversations: 6,
                first_response_median_minutes: Some(9.0),
                average_response_minutes: Some(57.4),
                resolution_median_minutes: Some(9.0),
                sla_compliance: Some(1.0),
                satisfaction: Some(3.4),
                nps: Some(-3.0),
                complaint_resolution_rate: Some(1.0),
                cost: Some(0.012345),
            },
            previous: Headline {
                messages: 4,
                cost: Some(0.01),
                ..Headline::default()
            },
            first_response: figures.clone(),
            response: TimeFigures {
                target_minutes: 30,
                ..figures.clone()
            },
            resolution: TimeFigures {
                target_minutes: 1440,
                within_target: Some(1.0),
                ..figures
            },
            sla: Compliance {
                responses: 5,
                responses_on_time: 5,
                response_compliance: Some(1.0),
                resolutions: 5,
                resolutions_on_time: 4,
                resolution_compliance: Some(0.8),
            },
            volumes: Volumes {
                messages: 12,
                user_to_user: 2,
                user_to_admin: 10,
                from_users: 7,
                from_admins: 5,
                automated: 0,
                support_conversations: 5,
                direct_conversations: 1,
                daily: (1..=30)
                    .map(|d| DayVolume {
                        date: day(d),
                        messages: i64::from(d % 7),
                    })
                    .collect(),
                weekly: [2, 9, 16, 23, 30]
                    .into_iter()
                    .map(|d| DayVolume {
                        date: day(d),
                        messages: 3,
                    })
                    .collect(),
            },
            heatmap,
            peak_hours: vec![
                PeakHour {
                    weekday: 1,
                    hour: 9,
                    messages: 9,
                },
                PeakHour {
                    weekday: 1,
                    hour: 10,
                    messages: 2,
                },
            ],
            agents: agents.iter().map(|name| row(name)).collect(),
            teams: vec![row("team-support")],
            categories: vec![row("complaint"), row("general")],
            satisfaction: Satisfaction {
                ratings: 5,
                distribution: [1, 0, 1, 2, 1],
                average: Some(3.4),
                csat: Some(0.6),
                clarity: Some(4.0),
                timeliness: None,
                helpfulness: None,
            },
            nps: Nps {
                answers: 2,
                promoters: 1,
                passives: 0,
                detractors: 1,
                score: Some(-3.0),
            },
            complaints: Complaints {
                received: 2,
                resolved: 2,
                resolution_rate: Some(1.0),
            },
            listings: ListingCoverage {
                active_listings: 2,
                listings_messaged: 1,
                share_messaged: Some(0.5),
            },
            cost: CostSummary {
                price_source: "AWS af-south-1 <list> prices".into(),
                currency: "USD".into(),
                usage: Usage {
                    read_units: 12.5,
                    write_units: 40,
                    invocations: 30,
                    gb_seconds: 1.25,
                    api_requests: 20,
                    emails: 3,
                    sms_segments: [("ZA".to_string(), 2)].into_iter().collect(),
                },
                cost: Cost {
                    dynamodb_reads: 0.000004,
                    dynamodb_writes: 0.00006,
                    lambda_requests: 0.000006,
                    lambda_compute: 0.00002,
                    api_requests: 0.00002,
                    email: 0.0003,
                    sms: [("ZA".to_string(), 0.012)].into_iter().collect(),
                    total: 0.01241,
                },
                per_conversation: Some(0.0020683),
            },
        }
    }

    const TRICKY: [&str; 6] = [
        "=HYPERLINK(\"http://x\")",
        "+1",
        "-x",
        "@x",
        "\tindented",
        "two\r\nlines, \"quoted\"",
    ];

    fn records(csv: &str) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv.as_bytes())
            .records()
            .map(|record| {
                let record = record.unwrap();
                record.iter().map(str::to_string).collect()
            })
            .collect()
    }

    #[test]
    fn the_csv_neutralises_formulas_quotes_what_needs_it_and_keeps_numbers_numbers() {
        let csv = csv(&sample(&TRICKY));
        assert!(csv.starts_with("section,name,metric,value\n"), "{csv}");
        assert!(
            csv.contains("\nagents,\"'=HYPERLINK(\"\"http://x\"\")\",opened,2\n"),
            "{csv}"
        );
        assert!(csv.contains("\nagents,'+1,opened,2\n"));
        assert!(csv.contains("\nagents,'-x,opened,2\n"));
        assert!(csv.contains("\nagents,'@x,opened,2\n"));
        assert!(csv.contains("\nagents,\"two\r\nlines, \"\"quoted\"\"\",opened,2\n"));
        assert!(csv.contains("\nheadline,this_month,nps,-3\n"), "a number");
        assert!(csv.contains("\nnps,all,score,-3\n"));
        assert!(csv.contains("\ntimes,first_response,within_target,0.6\n"));
        assert!(
            csv.contains("\nsatisfaction,all,timeliness,\n"),
            "none: empty"
        );

        let rows = records(&csv);
        assert!(rows.iter().all(|row| row.len() == 4), "one figure per row");
        let names: Vec<&str> = rows
            .iter()
            .filter(|row| row[0] == "agents" && row[2] == "opened")
            .map(|row| row[1].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "'=HYPERLINK(\"http://x\")",
                "'+1",
                "'-x",
                "'@x",
                "'\tindented",
                "two\r\nlines, \"quoted\"",
            ]
        );
        for row in &rows[1..] {
            for text in &row[..3] {
                assert!(!text.starts_with(FORMULA_STARTS), "{row:?}");
            }
        }
    }

    #[test]
    fn the_csv_has_every_figure_once_in_the_order_by_section() {
        let rows = records(&csv(&sample(&["sue"])));
        let keys: Vec<(String, String, String)> = rows[1..]
            .iter()
            .map(|row| (row[0].clone(), row[1].clone(), row[2].clone()))
            .collect();
        let unique: std::collections::BTreeSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "no figure twice");
        let count = |section: &str| keys.iter().filter(|k| k.0 == section).count();
        assert_eq!(count("headline"), 20);
        assert_eq!(count("times"), 30);
        assert_eq!(count("sla"), 6);
        assert_eq!(count("volumes"), 8 + 30 + 5);
        assert_eq!(count("heatmap"), 7 * 24);
        assert_eq!(count("agents"), 8);
        assert_eq!(count("satisfaction"), 11);
        assert_eq!(count("nps"), 5);
        assert_eq!(
            count("cost"),
            7 + 1 + 1,
            "services, SMS to ZA, per conversation"
        );
        assert_eq!(
            keys[0],
            ("headline".into(), "this_month".into(), "messages".into())
        );
        assert_eq!(
            keys[10],
            (
                "headline".into(),
                "previous_month".into(),
                "messages".into()
            )
        );
        assert!(keys.contains(&("heatmap".into(), "Tue".into(), "09:00".into())));
        assert!(keys.contains(&("cost".into(), "USD".into(), "sms_ZA".into())));
        let sections: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let mut order = sections.clone();
        order.dedup();
        assert_eq!(
            order,
            [
                "headline",
                "times",
                "sla",
                "volumes",
                "heatmap",
                "agents",
                "teams",
                "categories",
                "satisfaction",
                "nps",
                "complaints",
                "listings",
                "cost"
            ]
        );
    }
}
