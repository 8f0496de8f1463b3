//! The monthly report's figures, described once: sections of tables of rows of cells,
//! each cell with its kind (a count, minutes, milliseconds, a score, a share, money or
//! text). The CSV
//! writes every cell that is a figure as one `section,name,metric,value` row; the HTML
//! draws every table, and the chart above a table, from the same description.
//!
//! A cell is a figure when both its row and its column have a key: the table says
//! which of the two names the figure (`name`) and which says what was measured
//! (`metric`). Cells without a key are views of figures (the change on last month,
//! the metered use behind a cost, the peak hours of the heatmap) that only the HTML
//! shows.

use domain::report::{MonthlyReport, Row, TimeFigures, Times};

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// One value of the report, with its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Count(i64),
    /// Minutes, business or wall-clock as the column says.
    Minutes(Option<f64>),
    /// A plain number: a rating from 1 to 5, an NPS from −100 to 100.
    Score(Option<f64>),
    /// A latency in milliseconds.
    Milliseconds(Option<f64>),
    /// A share from 0 to 1, shown as a percentage.
    Percent(Option<f64>),
    /// The change from one value to another, as a share of the first: a view, never
    /// a figure of its own.
    Change(Option<f64>),
    /// An amount in the report's currency, shown with `places` decimals.
    Money {
        value: Option<f64>,
        places: usize,
    },
    Text(String),
}

impl Cell {
    fn money(value: impl Into<Option<f64>>, places: usize) -> Self {
        Self::Money {
            value: value.into(),
            places,
        }
    }

    fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// The number as measured (`None` when there was nothing to measure), or `None`
    /// for text.
    fn number(&self) -> Option<Option<f64>> {
        match self {
            Self::Count(n) => Some(Some(*n as f64)),
            Self::Minutes(v)
            | Self::Score(v)
            | Self::Milliseconds(v)
            | Self::Percent(v)
            | Self::Change(v) => Some(*v),
            Self::Money { value, .. } => Some(*value),
            Self::Text(_) => None,
        }
    }

    pub fn is_number(&self) -> bool {
        self.number().is_some()
    }

    /// As a spreadsheet reads it: the number unrounded (empty when there is none) or
    /// the text as is (the CSV writer neutralises text).
    pub fn raw(&self) -> String {
        match self {
            Self::Count(n) => n.to_string(),
            Self::Text(text) => text.clone(),
            other => other
                .number()
                .flatten()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        }
    }

    /// As a person reads it: percentages, money to its places, a dash for nothing.
    pub fn display(&self) -> String {
        const NOTHING: &str = "—";
        match self {
            Self::Count(n) => n.to_string(),
            Self::Minutes(v) | Self::Score(v) | Self::Milliseconds(v) => {
                v.map_or_else(|| NOTHING.into(), |v| v.to_string())
            }
            Self::Percent(v) => v.map_or_else(|| NOTHING.into(), |v| format!("{:.1}%", v * 100.0)),
            Self::Change(v) => v.map_or_else(|| NOTHING.into(), |v| format!("{:+.1}%", v * 100.0)),
            Self::Money { value, places } => {
                value.map_or_else(|| NOTHING.into(), |v| format!("{v:.places$}"))
            }
            Self::Text(text) => text.clone(),
        }
    }
}

/// Which of a cell's row and column names the figure; the other is its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// One row per agent, day, weekday…; the columns are the metrics.
    Rows,
    /// One column per month or currency; the rows are the metrics.
    Columns,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub heading: String,
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// The row's heading; a table of one row may have none.
    pub label: Option<String>,
    pub key: Option<String>,
    pub cells: Vec<Cell>,
}

/// A chart drawn above its table, of the same figures.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Bars {
        title: String,
        width: u32,
        height: u32,
        bars: Vec<(String, i64)>,
    },
    /// Weekday × hour, Monday first.
    Heatmap {
        title: String,
        grid: Box<[[i64; 24]; 7]>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The CSV's `section` of this table's figures.
    pub section: &'static str,
    pub names: Names,
    /// The heading over the row labels.
    pub corner: String,
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
    /// Many small cells (the heatmap, the days): drawn tighter.
    pub dense: bool,
    pub chart: Option<Chart>,
}

/// One figure: one row of the CSV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure<'a> {
    pub section: &'static str,
    pub name: &'a str,
    pub metric: &'a str,
    pub cell: &'a Cell,
}

impl Table {
    fn new(section: &'static str, names: Names, columns: &[(&str, Option<&str>)]) -> Self {
        Self {
            section,
            names,
            corner: String::new(),
            columns: columns
                .iter()
                .map(|(heading, key)| Column {
                    heading: (*heading).to_string(),
                    key: key.map(str::to_string),
                })
                .collect(),
            rows: Vec::new(),
            dense: false,
            chart: None,
        }
    }

    fn corner(mut self, corner: &str) -> Self {
        self.corner = corner.into();
        self
    }

    fn dense(mut self) -> Self {
        self.dense = true;
        self
    }

    fn chart(mut self, chart: Chart) -> Self {
        self.chart = Some(chart);
        self
    }

    /// A row whose label is also its key.
    fn row(mut self, label: &str, key: &str, cells: Vec<Cell>) -> Self {
        self.rows.push(TableRow {
            label: Some(label.into()),
            key: Some(key.into()),
            cells,
        });
        self
    }

    /// The one row of a table without row labels.
    fn only(mut self, key: &str, cells: Vec<Cell>) -> Self {
        self.rows.push(TableRow {
            label: None,
            key: Some(key.into()),
            cells,
        });
        self
    }

    /// The figures in the CSV's order: by name, then by metric.
    pub fn figures<'a>(&'a self) -> Vec<Figure<'a>> {
        let rows: Vec<(&str, &TableRow)> = self
            .rows
            .iter()
            .filter_map(|row| Some((row.key.as_deref()?, row)))
            .collect();
        let columns: Vec<(usize, &str)> = self
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, column)| Some((i, column.key.as_deref()?)))
            .collect();
        let mut figures = Vec::with_capacity(rows.len() * columns.len());
        let mut add = |name, metric, row: &'a TableRow, i: usize| {
            if let Some(cell) = row.cells.get(i) {
                figures.push(Figure {
                    section: self.section,
                    name,
                    metric,
                    cell,
                });
            }
        };
        match self.names {
            Names::Rows => {
                for &(name, row) in &rows {
                    for &(i, metric) in &columns {
                        add(name, metric, row, i);
                    }
                }
            }
            Names::Columns => {
                for &(i, name) in &columns {
                    for &(metric, row) in &rows {
                        add(name, metric, row, i);
                    }
                }
            }
        }
        figures
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub tables: Vec<Table>,
    /// A line under the tables.
    pub note: Option<String>,
}

impl Section {
    fn new(heading: impl Into<String>, tables: Vec<Table>) -> Self {
        Self {
            heading: heading.into(),
            tables,
            note: None,
        }
    }
}

/// The whole report, described once.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub sections: Vec<Section>,
}

impl Figures {
    /// Every figure, in the CSV's order.
    pub fn figures(&self) -> Vec<Figure<'_>> {
        self.sections
            .iter()
            .flat_map(|section| &section.tables)
            .flat_map(Table::figures)
            .collect()
    }

    pub fn of(report: &MonthlyReport) -> Self {
        let sections = vec![
            Section::new("Headline", vec![headline(report)]),
            Section::new("Response times (minutes)", vec![times(report)]),
            Section::new("SLA compliance", vec![sla(report)]),
            Section::new("Volumes", volumes(report)),
            Section::new("Peak hours", peak_hours(report)),
            Section::new("Agents", vec![rows("agents", "Agent", &report.agents)]),
            Section::new("Teams", vec![rows("teams", "Team", &report.teams)]),
            Section::new(
                "Categories",
                vec![rows("categories", "Category", &report.categories)],
            ),
            Section::new("Satisfaction", satisfaction(report)),
            Section::new("Complaints and listings", complaints_and_listings(report)),
            cost(report),
            system(report),
            broadcasts(report),
        ];
        Self { sections }
    }
}

fn change(now: Option<f64>, before: Option<f64>) -> Cell {
    Cell::Change(match (now, before) {
        (Some(now), Some(before)) if before != 0.0 => Some((now - before) / before.abs()),
        _ => None,
    })
}

fn headline(report: &MonthlyReport) -> Table {
    let (now, before) = (&report.headline, &report.previous);
    let mut table = Table::new(
        "headline",
        Names::Columns,
        &[
            (&report.month, Some("this_month")),
            (&report.previous_month, Some("previous_month")),
            ("Change", None),
        ],
    );
    let count = |n: i64| (Cell::Count(n), Some(n as f64));
    let with = |cell: fn(Option<f64>) -> Cell| move |v: Option<f64>| (cell(v), v);
    let (minutes, percent, score) = (with(Cell::Minutes), with(Cell::Percent), with(Cell::Score));
    let milliseconds = with(Cell::Milliseconds);
    let money = |v: Option<f64>| (Cell::money(v, 2), v);
    let lines = [
        (
            "Messages",
            "messages",
            count(now.messages),
            count(before.messages),
        ),
        (
            "Conversations",
            "conversations",
            count(now.conversations),
            count(before.conversations),
        ),
        (
            "First response, median (business min)",
            "first_response_median_minutes",
            minutes(now.first_response_median_minutes),
            minutes(before.first_response_median_minutes),
        ),
        (
            "Average response (business min)",
            "average_response_minutes",
            minutes(now.average_response_minutes),
            minutes(before.average_response_minutes),
        ),
        (
            "Resolution, median (business min)",
            "resolution_median_minutes",
            minutes(now.resolution_median_minutes),
            minutes(before.resolution_median_minutes),
        ),
        (
            "SLA compliance",
            "sla_compliance",
            percent(now.sla_compliance),
            percent(before.sla_compliance),
        ),
        (
            "Satisfaction (1–5)",
            "satisfaction",
            score(now.satisfaction),
            score(before.satisfaction),
        ),
        ("NPS", "nps", score(now.nps), score(before.nps)),
        (
            "Complaint resolution rate",
            "complaint_resolution_rate",
            percent(now.complaint_resolution_rate),
            percent(before.complaint_resolution_rate),
        ),
        ("Cost", "cost", money(now.cost), money(before.cost)),
        (
            "Availability (answers without a 5xx)",
            "availability",
            percent(now.availability),
            percent(before.availability),
        ),
        (
            "API latency, p99 (ms)",
            "api_p99_ms",
            milliseconds(now.api_p99_ms),
            milliseconds(before.api_p99_ms),
        ),
    ];
    for (label, metric, (now, now_value), (before, before_value)) in lines {
        let label = if metric == "cost" {
            format!("{label} ({})", report.cost.currency)
        } else {
            label.to_string()
        };
        table = table.row(
            &label,
            metric,
            vec![now, before, change(now_value, before_value)],
        );
    }
    table
}

fn count(n: u64) -> Cell {
    Cell::Count(i64::try_from(n).unwrap_or(i64::MAX))
}

fn clock_cells(times: &Times) -> [Cell; 4] {
    [
        count(times.count),
        Cell::Minutes(times.mean_minutes),
        Cell::Minutes(times.median_minutes),
        Cell::Minutes(times.p90_minutes),
    ]
}

fn times(report: &MonthlyReport) -> Table {
    let mut table = Table::new(
        "times",
        Names::Rows,
        &[
            ("Business n", Some("business_count")),
            ("mean", Some("business_mean_minutes")),
            ("median", Some("business_median_minutes")),
            ("p90", Some("business_p90_minutes")),
            ("Wall-clock n", Some("wall_clock_count")),
            ("mean", Some("wall_clock_mean_minutes")),
            ("median", Some("wall_clock_median_minutes")),
            ("p90", Some("wall_clock_p90_minutes")),
            ("Target (business)", Some("target_minutes")),
            ("Within target", Some("within_target")),
        ],
    );
    let timings: [(&str, &str, &TimeFigures); 3] = [
        ("First response", "first_response", &report.first_response),
        ("Every response", "response", &report.response),
        ("Resolution", "resolution", &report.resolution),
    ];
    for (label, key, figures) in timings {
        let mut cells: Vec<Cell> = clock_cells(&figures.business).into();
        cells.extend(clock_cells(&figures.wall_clock));
        cells.push(Cell::Minutes(Some(figures.target_minutes as f64)));
        cells.push(Cell::Percent(figures.within_target));
        table = table.row(label, key, cells);
    }
    table
}

fn sla(report: &MonthlyReport) -> Table {
    let sla = &report.sla;
    Table::new(
        "sla",
        Names::Rows,
        &[
            ("On time", Some("on_time")),
            ("Total", Some("total")),
            ("Compliance", Some("compliance")),
        ],
    )
    .row(
        "Responses",
        "responses",
        vec![
            Cell::Count(sla.responses_on_time),
            Cell::Count(sla.responses),
            Cell::Percent(sla.response_compliance),
        ],
    )
    .row(
        "Resolutions",
        "resolutions",
        vec![
            Cell::Count(sla.resolutions_on_time),
            Cell::Count(sla.resolutions),
            Cell::Percent(sla.resolution_compliance),
        ],
    )
}

fn volumes(report: &MonthlyReport) -> Vec<Table> {
    let v = &report.volumes;
    let month = Table::new(
        "volumes",
        Names::Rows,
        &[
            ("Messages", Some("messages")),
            ("User ↔ user", Some("user_to_user")),
            ("User ↔ admin", Some("user_to_admin")),
            ("From users", Some("from_users")),
            ("From admins", Some("from_admins")),
            ("Automated", Some("automated")),
            ("Support conversations", Some("support_conversations")),
            ("Buyer–seller conversations", Some("direct_conversations")),
        ],
    )
    .only(
        "month",
        [
            v.messages,
            v.user_to_user,
            v.user_to_admin,
            v.from_users,
            v.from_admins,
            v.automated,
            v.support_conversations,
            v.direct_conversations,
        ]
        .into_iter()
        .map(Cell::Count)
        .collect(),
    );
    let mut daily = Table::new(
        "volumes",
        Names::Rows,
        &[("Messages", Some("daily_messages"))],
    )
    .corner("Day")
    .dense()
    .chart(Chart::Bars {
        title: "Messages per day".into(),
        width: 640,
        height: 180,
        bars: v
            .daily
            .iter()
            .map(|d| (d.date.format("%d").to_string(), d.messages))
            .collect(),
    });
    for day in &v.daily {
        let date = day.date.to_string();
        daily = daily.row(&date, &date, vec![Cell::Count(day.messages)]);
    }
    let mut weekly = Table::new(
        "volumes",
        Names::Rows,
        &[("Messages", Some("weekly_messages"))],
    )
    .corner("Week of");
    for week in &v.weekly {
        let date = week.date.to_string();
        weekly = weekly.row(&date, &date, vec![Cell::Count(week.messages)]);
    }
    vec![month, daily, weekly]
}

fn peak_hours(report: &MonthlyReport) -> Vec<Table> {
    let mut peaks = Table::new(
        "heatmap",
        Names::Rows,
        &[("Day", None), ("Hour", None), ("Messages", None)],
    );
    for peak in &report.peak_hours {
        peaks.rows.push(TableRow {
            label: None,
            key: None,
            cells: vec![
                Cell::text(
                    WEEKDAYS
                        .get(peak.weekday as usize)
                        .copied()
                        .unwrap_or_default(),
                ),
                Cell::text(format!("{:02}:00", peak.hour)),
                Cell::Count(peak.messages),
            ],
        });
    }
    let hours: Vec<(String, String)> = (0..24)
        .map(|hour| (format!("{hour:02}"), format!("{hour:02}:00")))
        .collect();
    let columns: Vec<(&str, Option<&str>)> = hours
        .iter()
        .map(|(heading, key)| (heading.as_str(), Some(key.as_str())))
        .collect();
    let mut grid = Table::new("heatmap", Names::Rows, &columns)
        .corner("SAST")
        .dense()
        .chart(Chart::Heatmap {
            title: "Messages by weekday and hour (SAST)".into(),
            grid: Box::new(report.heatmap),
        });
    for (weekday, hours) in WEEKDAYS.iter().zip(&report.heatmap) {
        grid = grid.row(
            weekday,
            weekday,
            hours.iter().copied().map(Cell::Count).collect(),
        );
    }
    vec![peaks, grid]
}

fn rows(section: &'static str, corner: &str, rows: &[Row]) -> Table {
    let mut table = Table::new(
        section,
        Names::Rows,
        &[
            ("Opened", Some("opened")),
            ("Responses", Some("responses")),
            ("FRT median (min)", Some("first_response_median_minutes")),
            ("Avg response (min)", Some("average_response_minutes")),
            ("Resolved", Some("resolved")),
            ("SLA met", Some("sla_compliance")),
            ("Ratings", Some("ratings")),
            ("Rating (1–5)", Some("satisfaction")),
        ],
    )
    .corner(corner);
    for r in rows {
        table = table.row(
            &r.name,
            &r.name,
            vec![
                Cell::Count(r.opened),
                Cell::Count(r.responses),
                Cell::Minutes(r.first_response_median_minutes),
                Cell::Minutes(r.average_response_minutes),
                Cell::Count(r.resolved),
                Cell::Percent(r.sla_compliance),
                Cell::Count(r.ratings),
                Cell::Score(r.satisfaction),
            ],
        );
    }
    table
}

fn satisfaction(report: &MonthlyReport) -> Vec<Table> {
    let s = &report.satisfaction;
    let stars: Vec<(String, String)> = (1..=5)
        .map(|n| (format!("{n}★"), format!("stars_{n}")))
        .collect();
    let mut columns = vec![("Ratings", Some("ratings"))];
    columns.extend(
        stars
            .iter()
            .map(|(heading, key)| (heading.as_str(), Some(key.as_str()))),
    );
    columns.extend([
        ("Average", Some("average")),
        ("CSAT (4–5★)", Some("csat")),
        ("Clarity", Some("clarity")),
        ("Timeliness", Some("timeliness")),
        ("Helpfulness", Some("helpfulness")),
    ]);
    let mut cells = vec![Cell::Count(s.ratings)];
    cells.extend(s.distribution.iter().copied().map(Cell::Count));
    cells.extend([
        Cell::Score(s.average),
        Cell::Percent(s.csat),
        Cell::Score(s.clarity),
        Cell::Score(s.timeliness),
        Cell::Score(s.helpfulness),
    ]);
    let ratings = Table::new("satisfaction", Names::Rows, &columns)
        .only("all", cells)
        .chart(Chart::Bars {
            title: "Ratings by stars".into(),
            width: 320,
            height: 160,
            bars: stars
                .iter()
                .map(|(label, _)| label.clone())
                .zip(s.distribution)
                .collect(),
        });
    let n = &report.nps;
    let nps = Table::new(
        "nps",
        Names::Rows,
        &[
            ("NPS answers", Some("answers")),
            ("Promoters", Some("promoters")),
            ("Passives", Some("passives")),
            ("Detractors", Some("detractors")),
            ("NPS", Some("score")),
        ],
    )
    .only(
        "all",
        vec![
            Cell::Count(n.answers),
            Cell::Count(n.promoters),
            Cell::Count(n.passives),
            Cell::Count(n.detractors),
            Cell::Score(n.score),
        ],
    );
    vec![ratings, nps]
}

/// The month's broadcasts, one row each (named by id), and their sum (`all`).
fn broadcasts(report: &MonthlyReport) -> Section {
    let b = &report.broadcasts;
    let mut table = Table::new(
        "broadcasts",
        Names::Rows,
        &[
            ("Sent", None),
            ("Recipients", Some("recipients")),
            ("Delivered", Some("delivered")),
            ("Read", Some("read")),
            ("Replied", Some("replied")),
            ("Bounced", Some("bounced")),
            ("Read rate", Some("read_rate")),
            ("Reply rate", Some("reply_rate")),
            ("Bounce rate", Some("bounce_rate")),
        ],
    )
    .corner("Broadcast");
    for item in &b.items {
        table.rows.push(TableRow {
            label: Some(item.subject.clone()),
            key: Some(item.id.clone()),
            cells: vec![
                Cell::text(item.created_at.format("%Y-%m-%d %H:%M UTC").to_string()),
                Cell::Count(item.recipients),
                Cell::Count(item.delivered),
                Cell::Count(item.read),
                Cell::Count(item.replied),
                Cell::Count(item.bounced),
                Cell::Percent(item.read_rate),
                Cell::Percent(item.reply_rate),
                Cell::Percent(item.bounce_rate),
            ],
        });
    }
    let table = table.row(
        &format!("All {} broadcasts", b.broadcasts),
        "all",
        vec![
            Cell::text(""),
            Cell::Count(b.recipients),
            Cell::Count(b.delivered),
            Cell::Count(b.read),
            Cell::Count(b.replied),
            Cell::Count(b.bounced),
            Cell::Percent(b.read_rate),
            Cell::Percent(b.reply_rate),
            Cell::Percent(b.bounce_rate),
        ],
    );
    Section {
        note: Some(
            "Broadcasts sent this month. Each recipient counts once, as it happens: a \
             broadcast's figures go on growing as its recipients read and reply later. \
             Rates are shares of those it was delivered to."
                .into(),
        ),
        ..Section::new("Broadcasts", vec![table])
    }
}

fn complaints_and_listings(report: &MonthlyReport) -> Vec<Table> {
    let (c, l) = (&report.complaints, &report.listings);
    let complaints = Table::new(
        "complaints",
        Names::Rows,
        &[
            ("Complaints received", Some("received")),
            ("Resolved", Some("resolved")),
            ("Resolution rate", Some("resolution_rate")),
        ],
    )
    .only(
        "all",
        vec![
            Cell::Count(c.received),
            Cell::Count(c.resolved),
            Cell::Percent(c.resolution_rate),
        ],
    );
    let listings = Table::new(
        "listings",
        Names::Rows,
        &[
            ("Active listings", Some("active_listings")),
            ("Listings messaged", Some("listings_messaged")),
            ("Share messaged", Some("share_messaged")),
        ],
    )
    .only(
        "all",
        vec![
            Cell::Count(l.active_listings),
            Cell::Count(l.listings_messaged),
            Cell::Percent(l.share_messaged),
        ],
    );
    vec![complaints, listings]
}

fn cost(report: &MonthlyReport) -> Section {
    let summary = &report.cost;
    let (usage, cost) = (&summary.usage, &summary.cost);
    let mut table = Table::new(
        "cost",
        Names::Columns,
        &[("Use", None), ("Cost", Some(&summary.currency))],
    )
    .corner("Service");
    let services = [
        (
            "DynamoDB reads",
            "dynamodb_reads",
            format!("{:.1} RRU", usage.read_units),
            cost.dynamodb_reads,
        ),
        (
            "DynamoDB writes",
            "dynamodb_writes",
            format!("{} WRU", usage.write_units),
            cost.dynamodb_writes,
        ),
        (
            "Lambda requests",
            "lambda_requests",
            usage.invocations.to_string(),
            cost.lambda_requests,
        ),
        (
            "Lambda compute",
            "lambda_compute",
            format!("{:.1} GB-s", usage.gb_seconds),
            cost.lambda_compute,
        ),
        (
            "API requests",
            "api_requests",
            usage.api_requests.to_string(),
            cost.api_requests,
        ),
        ("Email", "email", usage.emails.to_string(), cost.email),
    ];
    for (label, metric, used, value) in services {
        table = table.row(label, metric, vec![Cell::Text(used), Cell::money(value, 4)]);
    }
    for (country, value) in &cost.sms {
        let segments = usage.sms_segments.get(country).copied().unwrap_or_default();
        table = table.row(
            &format!("SMS {country}"),
            &format!("sms_{country}"),
            vec![
                Cell::Text(format!("{segments} segments")),
                Cell::money(*value, 4),
            ],
        );
    }
    table = table
        .row(
            "Total",
            "total",
            vec![Cell::text(""), Cell::money(cost.total, 4)],
        )
        .row(
            "Per conversation",
            "per_conversation",
            vec![Cell::text(""), Cell::money(summary.per_conversation, 6)],
        );
    Section {
        note: Some(format!("Prices: {}.", summary.price_source)),
        ..Section::new(format!("Cost ({})", summary.currency), vec![table])
    }
}

fn system(report: &MonthlyReport) -> Section {
    let s = &report.system;
    let columns = [
        ("Answered", Some("answered")),
        ("5xx", Some("server_errors")),
        ("Availability", Some("availability")),
    ];
    let month = Table::new("availability", Names::Rows, &columns).only(
        "month",
        vec![
            Cell::Count(s.answered),
            Cell::Count(s.server_errors),
            Cell::Percent(s.availability),
        ],
    );
    let mut daily = Table::new("availability", Names::Rows, &columns)
        .corner("Day")
        .dense();
    // Availability sits near 100%, so its bars would all look full: the chart is of the
    // answers that lowered it. None for a month without metered answers.
    if !s.daily.is_empty() {
        daily = daily.chart(Chart::Bars {
            title: "API answers with a 5xx, per day".into(),
            width: 640,
            height: 160,
            bars: s
                .daily
                .iter()
                .map(|d| (d.date.format("%d").to_string(), d.server_errors))
                .collect(),
        });
    }
    for day in &s.daily {
        let date = day.date.to_string();
        daily = daily.row(
            &date,
            &date,
            vec![
                Cell::Count(day.answered),
                Cell::Count(day.server_errors),
                Cell::Percent(day.availability),
            ],
        );
    }
    let mut latency = Table::new(
        "latency",
        Names::Rows,
        &[
            ("Answered", Some("answered")),
            ("p50 (ms)", Some("p50_ms")),
            ("p99 (ms)", Some("p99_ms")),
        ],
    )
    .corner("Route group");
    for group in &s.latency {
        latency = latency.row(
            &group.group,
            &group.group,
            vec![
                Cell::Count(group.answered),
                Cell::Milliseconds(group.p50_ms),
                Cell::Milliseconds(group.p99_ms),
            ],
        );
    }
    let mut functions = Table::new(
        "functions",
        Names::Rows,
        &[
            ("Invocations", Some("invocations")),
            ("5xx answers", Some("server_errors")),
            ("Failed invocations", Some("failed_invocations")),
            ("Cold starts", Some("cold_starts")),
        ],
    )
    .corner("Function");
    for f in &s.functions {
        functions = functions.row(
            &f.function,
            &f.function,
            vec![
                Cell::Count(f.invocations),
                Cell::Count(f.server_errors),
                Cell::Count(f.failed_invocations),
                Cell::Count(f.cold_starts),
            ],
        );
    }
    let n = &s.notifications;
    let notifications = Table::new(
        "notifications",
        Names::Rows,
        &[
            ("Emails sent", Some("emails_sent")),
            ("Emails failed", Some("emails_failed")),
            ("SMS sent", Some("sms_sent")),
            ("SMS failed", Some("sms_failed")),
            ("Webhook posts", Some("webhook_posts")),
            (
                "Webhook posts failed (retried)",
                Some("webhook_posts_failed"),
            ),
        ],
    )
    .only(
        "all",
        [
            n.emails_sent,
            n.emails_failed,
            n.sms_sent,
            n.sms_failed,
            n.webhook_posts,
            n.webhook_posts_failed,
        ]
        .into_iter()
        .map(Cell::Count)
        .collect(),
    );
    Section {
        note: Some(
            "From the functions' own metering: availability is the share of API answers \
             without a 5xx; latency is each answer's time in its function, by the path's \
             route group."
                .into(),
        ),
        ..Section::new(
            "System",
            vec![month, daily, latency, functions, notifications],
        )
    }
}
