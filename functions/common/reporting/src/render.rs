//! The monthly report as CSV (one figure per row) and as HTML with SVG charts, both
//! from one description of its figures ([`Figures`]). The HTML is drawn by MiniJinja
//! templates (`templates/`) with HTML auto-escaping, inline-styled so it reads the same
//! in a browser and in an email; every figure is in a table, so a mail client that
//! drops SVG loses no number. The charts' coordinates are computed here, their SVG
//! written by the templates.

use std::borrow::Cow;
use std::sync::LazyLock;

use anyhow::anyhow;
use minijinja::{Environment, Value};
use serde::Serialize;

use crate::figures::{Cell, Chart, Figures, Table, WEEKDAYS};
use domain::report::MonthlyReport;

const BRAND: &str = "#0b5394";

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

/// The templates, compiled in (`domain::template::compiled`).
static TEMPLATES: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    domain::template::compiled(&[
        ("report.html", include_str!("../templates/report.html")),
        (
            "bar_chart.html",
            include_str!("../templates/bar_chart.html"),
        ),
        ("heatmap.html", include_str!("../templates/heatmap.html")),
    ])
});

/// SVG coordinates to a tenth of a pixel.
fn at(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[derive(Serialize)]
struct Bar {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    label: String,
    value: i64,
    /// Every bar has its value in its tooltip; only every so many its label under it.
    labelled: bool,
    label_x: f64,
}

/// A vertical bar chart of labelled values.
#[derive(Serialize)]
struct BarChart {
    title: String,
    width: u32,
    height: u32,
    left: f64,
    max: i64,
    max_x: f64,
    max_y: f64,
    baseline: f64,
    label_y: f64,
    bars: Vec<Bar>,
}

impl BarChart {
    fn new(title: &str, bars: &[(String, i64)], width: u32, height: u32) -> Self {
        let max = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
        let (left, bottom, top) = (36.0, 28.0, 24.0);
        let plot_height = f64::from(height) - bottom - top;
        let slot = (f64::from(width) - left) / bars.len().max(1) as f64;
        let label_every = (bars.len() / 16).max(1);
        Self {
            title: title.into(),
            width,
            height,
            left,
            max,
            max_x: left - 4.0,
            max_y: top + 8.0,
            baseline: top + plot_height,
            label_y: f64::from(height) - 10.0,
            bars: bars
                .iter()
                .enumerate()
                .map(|(i, (label, value))| {
                    let bar_height = plot_height * (*value as f64) / (max as f64);
                    let x = left + slot * i as f64 + slot * 0.1;
                    Bar {
                        x: at(x),
                        y: at(top + plot_height - bar_height),
                        width: at(slot * 0.8),
                        height: at(bar_height),
                        label: label.clone(),
                        value: *value,
                        labelled: i % label_every == 0,
                        label_x: at(x + slot * 0.4),
                    }
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct HourLabel {
    x: f64,
    text: String,
}

#[derive(Serialize)]
struct HeatCell {
    x: f64,
    opacity: String,
    title: String,
}

#[derive(Serialize)]
struct HeatRow {
    label: &'static str,
    y: f64,
    label_y: f64,
    cells: Vec<HeatCell>,
}

/// Weekday × hour cells shaded by volume.
#[derive(Serialize)]
struct Heatmap {
    title: String,
    width: u32,
    height: u32,
    left: f64,
    size: f64,
    labels_x: f64,
    hours_y: f64,
    hours: Vec<HourLabel>,
    rows: Vec<HeatRow>,
}

impl Heatmap {
    fn new(title: &str, grid: &[[i64; 24]; 7]) -> Self {
        let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
        let (cell, left, top) = (20.0, 36.0, 30.0);
        Self {
            title: title.into(),
            // 36 + 20 × 24 + 4, 30 + 20 × 7 + 4
            width: 520,
            height: 174,
            left,
            size: cell - 2.0,
            labels_x: left - 4.0,
            hours_y: top - 4.0,
            hours: (0..24)
                .step_by(3)
                .map(|hour| HourLabel {
                    x: at(left + cell * f64::from(hour) + cell / 2.0),
                    text: format!("{hour:02}"),
                })
                .collect(),
            rows: WEEKDAYS
                .iter()
                .zip(grid)
                .enumerate()
                .map(|(weekday, (label, hours))| {
                    let y = top + cell * weekday as f64;
                    HeatRow {
                        label,
                        y: at(y),
                        label_y: at(y + cell * 0.65),
                        cells: hours
                            .iter()
                            .enumerate()
                            .map(|(hour, n)| {
                                let opacity = if *n == 0 {
                                    0.04
                                } else {
                                    0.15 + 0.85 * (*n as f64) / (max as f64)
                                };
                                HeatCell {
                                    x: at(left + cell * hour as f64),
                                    opacity: format!("{opacity:.2}"),
                                    title: format!("{label} {hour:02}:00: {n}"),
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum ChartView {
    Bars(BarChart),
    Heatmap(Heatmap),
}

impl ChartView {
    fn of(chart: &Chart) -> Self {
        match chart {
            Chart::Bars {
                title,
                width,
                height,
                bars,
            } => Self::Bars(BarChart::new(title, bars, *width, *height)),
            Chart::Heatmap { title, grid } => Self::Heatmap(Heatmap::new(title, grid)),
        }
    }
}

#[derive(Serialize)]
struct CellView {
    text: String,
    /// Numbers are right-aligned.
    number: bool,
}

impl CellView {
    fn of(cell: &Cell) -> Self {
        Self {
            text: cell.display(),
            number: cell.is_number(),
        }
    }
}

#[derive(Serialize)]
struct ColumnView<'a> {
    heading: &'a str,
    number: bool,
}

#[derive(Serialize)]
struct RowView<'a> {
    label: &'a str,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct TableView<'a> {
    /// Whether the rows have labels (a table of one row may not).
    labelled: bool,
    corner: &'a str,
    columns: Vec<ColumnView<'a>>,
    rows: Vec<RowView<'a>>,
    dense: bool,
    chart: Option<ChartView>,
}

impl<'a> TableView<'a> {
    fn of(table: &'a Table) -> Self {
        let columns = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| ColumnView {
                heading: &column.heading,
                number: !table.rows.is_empty()
                    && table
                        .rows
                        .iter()
                        .all(|row| row.cells.get(i).is_some_and(Cell::is_number)),
            })
            .collect();
        Self {
            labelled: table.rows.iter().any(|row| row.label.is_some()) || !table.corner.is_empty(),
            corner: &table.corner,
            columns,
            rows: table
                .rows
                .iter()
                .map(|row| RowView {
                    label: row.label.as_deref().unwrap_or_default(),
                    cells: row.cells.iter().map(CellView::of).collect(),
                })
                .collect(),
            dense: table.dense,
            chart: table.chart.as_ref().map(ChartView::of),
        }
    }
}

#[derive(Serialize)]
struct SectionView<'a> {
    heading: &'a str,
    tables: Vec<TableView<'a>>,
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct Page<'a> {
    brand: &'static str,
    month: &'a str,
    previous_month: &'a str,
    /// In percent, to a tenth.
    percentile_error: String,
    sections: Vec<SectionView<'a>>,
}

/// The report as one HTML document.
pub fn html(report: &MonthlyReport) -> anyhow::Result<String> {
    let figures = Figures::of(report);
    let page = Page {
        brand: BRAND,
        month: &report.month,
        previous_month: &report.previous_month,
        percentile_error: format!("{:.1}", report.percentile_error * 100.0),
        sections: figures
            .sections
            .iter()
            .map(|section| SectionView {
                heading: &section.heading,
                tables: section.tables.iter().map(TableView::of).collect(),
                note: section.note.as_deref(),
            })
            .collect(),
    };
    let environment = TEMPLATES
        .as_ref()
        .map_err(|e| anyhow!("the report's templates: {e}"))?;
    let html = environment
        .get_template("report.html")?
        .render(Value::from(minijinja::value::Serde(&page)))?;
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Utc};
    use domain::broadcast::{Broadcast, Segment};
    use domain::pricing::{Cost, Usage};
    use domain::report::{
        Complaints, Compliance, CostSummary, DayAvailability, DayVolume, FunctionHealth,
        GroupLatency, Headline, ListingCoverage, NotificationFigures, Nps, PeakHour, Row,
        Satisfaction, SystemFigures, TimeFigures, Times, Volumes,
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
                availability: Some(0.95),
                api_p99_ms: Some(240.1),
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
            system: SystemFigures {
                answered: 20,
                server_errors: 1,
                availability: Some(0.95),
                daily: vec![DayAvailability {
                    date: day(2),
                    answered: 20,
                    server_errors: 1,
                    availability: Some(0.95),
                }],
                latency: ["all", "users"]
                    .into_iter()
                    .map(|group| GroupLatency {
                        group: group.into(),
                        answered: 20,
                        p50_ms: Some(12.3),
                        p99_ms: Some(240.1),
                    })
                    .collect(),
                functions: vec![FunctionHealth {
                    function: "send".into(),
                    invocations: 20,
                    server_errors: 1,
                    failed_invocations: 0,
                    cold_starts: 2,
                }],
                notifications: NotificationFigures {
                    emails_sent: 3,
                    emails_failed: 1,
                    sms_sent: 2,
                    sms_failed: 0,
                    webhook_posts: 4,
                    webhook_posts_failed: 1,
                },
            },
            broadcasts: domain::report::broadcasts(&[Broadcast {
                sent: 40,
                delivered: 40,
                read: 10,
                replied: 3,
                bounced: 1,
                ..Broadcast::new(
                    "01JBROADCAST".into(),
                    TRICKY[0].into(),
                    "Messaging is here".into(),
                    Segment::All,
                    "max",
                    Utc::now(),
                )
            }]),
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
        assert!(csv.contains("\nbroadcasts,01JBROADCAST,read,10\n"), "{csv}");
        assert!(csv.contains("\nbroadcasts,01JBROADCAST,read_rate,0.25\n"));
        assert!(csv.contains("\nbroadcasts,all,bounced,1\n"));
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
        assert_eq!(count("headline"), 24);
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
            keys[12],
            (
                "headline".into(),
                "previous_month".into(),
                "messages".into()
            )
        );
        assert_eq!(count("availability"), 3 + 3, "the month and its one day");
        assert_eq!(count("latency"), 2 * 3);
        assert_eq!(count("functions"), 4);
        assert_eq!(count("notifications"), 6);
        assert!(keys.contains(&("latency".into(), "users".into(), "p99_ms".into())));
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
                "cost",
                "availability",
                "latency",
                "functions",
                "notifications",
                "broadcasts"
            ]
        );
        assert_eq!(count("broadcasts"), 2 * 8, "one broadcast and the sum");
    }

    #[test]
    fn the_html_escapes_what_it_is_given_and_has_every_figure_in_a_table() {
        let report = sample(&["<script>alert(\"x\")</script>", "=HYPERLINK(\"http://x\")"]);
        let html = html(&report).unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt;"));
        assert!(html.contains("AWS af-south-1 &lt;list&gt; prices"));
        assert!(html.contains("SayPro Monthly SCMR-5: messaging report for 2026-11"));
        assert_eq!(
            html.matches("<svg").count(),
            4,
            "daily volume, heatmap, ratings, 5xx per day"
        );
        assert_eq!(html.matches("</svg>").count(), 4);
        assert!(
            !html.contains("<style"),
            "inline styles only: it is emailed"
        );
        // Every figure in a table: a cell for each, besides the views of them.
        let figures = Figures::of(&report).figures().len();
        let cells = html.matches("<td ").count();
        assert!(cells >= figures, "{cells} cells for {figures} figures");
        for (shown, why) in [
            (
                "<td style=\"padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:right\">-3</td>",
                "the NPS",
            ),
            (">+200.0%</td>", "the change on last month"),
            (">60.0%</td>", "a share"),
            (">0.0124</td>", "money to four places"),
            (">0.002068</td>", "per conversation"),
            (">—</td>", "nothing measured"),
            (">12.5 RRU</td>", "the use behind a cost"),
            (">Tue</td>", "the heatmap as a table"),
            (">2026-11-30</td>", "the days as a table"),
            (">95.0%</td>", "availability"),
            (">240.1</td>", "a latency"),
        ] {
            assert!(html.contains(shown), "{why}: {shown}");
        }
        std::fs::create_dir_all("../../../target").ok();
        std::fs::write("../../../target/report-sample.html", &html).ok();
    }

    #[test]
    fn a_bar_chart_labels_every_bar_of_a_month_and_every_other_of_a_longer_series() {
        let bars = |n: usize| {
            (0..n)
                .map(|i| (i.to_string(), i as i64))
                .collect::<Vec<_>>()
        };
        let short = BarChart::new("t", &bars(5), 320, 160);
        assert!(short.bars.iter().all(|b| b.labelled));
        assert_eq!(short.max, 4);
        assert_eq!(short.bars[4].height, 108.0, "the tallest fills the plot");
        let month = BarChart::new("t", &bars(31), 640, 180);
        assert!(
            month.bars.iter().all(|b| b.labelled),
            "every day of a month"
        );
        let long = BarChart::new("t", &bars(40), 640, 180);
        assert_eq!(long.bars.iter().filter(|b| b.labelled).count(), 20);
        let empty = BarChart::new("t", &[], 320, 160);
        assert!(empty.bars.is_empty() && empty.max == 1);
    }
}
