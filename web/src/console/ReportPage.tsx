// Managers: the month's report (SCMR-5) as a page: the headline beside last month's, the
// charts, the tables; a month picker; the CSV and the HTML report as emailed.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Schemas, errorMessage } from "../api/client";
import { Bars, Heatmap } from "./charts";
import { save } from "./download";
import { change, decimal, minutes, money, monthOf, percent } from "./format";
import { ErrorLine, Head } from "./parts";

type Report = Schemas["MonthlyReport"];
type Headline = Schemas["Headline"];

/** Availability to a hundredth of a percent: it sits near 100%. */
const availability = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${decimal(v * 100, 2)}%`);
const milliseconds = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${decimal(v)} ms`);

/** The headline's figures: what each is called and how it reads. */
const HEADLINE: [keyof Headline, string, (v: number) => string][] = [
  ["messages", "Messages", String],
  ["conversations", "Conversations", String],
  ["first_response_median_minutes", "First response (median)", minutes],
  ["average_response_minutes", "Response (average)", minutes],
  ["resolution_median_minutes", "Resolution (median)", minutes],
  ["sla_compliance", "SLA compliance", percent],
  ["satisfaction", "Satisfaction (stars)", (v) => decimal(v)],
  ["nps", "NPS", (v) => decimal(v, 0)],
  ["complaint_resolution_rate", "Complaints resolved", percent],
  ["cost", "Cost", (v) => money(v)],
  ["availability", "Availability", availability],
  ["api_p99_ms", "API latency (p99)", milliseconds],
];

export function ReportPage({ api, now }: { api: Api; now: Date }) {
  const [month, setMonth] = useState(monthOf(now, -1));
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setReport(null);
    void api.GET("/v1/admin/reports/{month}", { params: { path: { month } } }).then(({ data, error }) => {
      // The route answers CSV and HTML too; without `format` it is the JSON.
      setReport((data as Report | undefined) ?? null);
      setError(data ? null : errorMessage(error, "The report could not be read."));
    });
  }, [api, month]);
  const download = async (format: "csv" | "html") => {
    const { data, error } = await api.GET("/v1/admin/reports/{month}", {
      params: { path: { month }, query: { format } },
      parseAs: "text",
    });
    if (data === undefined) return setError(errorMessage(error, "The file could not be made."));
    const type = format === "csv" ? "text/csv" : "text/html";
    save(`saypro-messaging-${month}.${format}`, type, data);
  };
  return (
    <main>
      <h1>Monthly report</h1>
      <div class="views">
        <label>
          Month
          <input type="month" value={month} max={monthOf(now)} onChange={(e) => setMonth(e.currentTarget.value)} />
        </label>
        <button type="button" onClick={() => void download("csv")}>
          Download CSV
        </button>
        <button type="button" onClick={() => void download("html")}>
          Download the HTML report (as emailed)
        </button>
      </div>
      <ErrorLine message={error} />
      {report && <ReportBody report={report} />}
    </main>
  );
}

function ReportBody({ report }: { report: Report }) {
  const days = report.volumes.daily.map((d): [string, number] => [d.date.slice(8), d.messages]);
  const stars = report.satisfaction.distribution.map((n, i): [string, number] => [`${i + 1}★`, n]);
  return (
    <>
      <section aria-labelledby="headline-heading">
        <h2 id="headline-heading">
          {report.month} beside {report.previous_month}
        </h2>
        <table class="queue figures">
          <Head columns={["Figure", report.month, report.previous_month, "Change"]} />
          <tbody>
            {HEADLINE.map(([key, name, show]) => {
              const [now, before] = [report.headline[key] as number | null, report.previous[key] as number | null];
              return (
                <tr key={key}>
                  <th scope="row">{name}</th>
                  <td>{now === null || now === undefined ? "–" : show(now)}</td>
                  <td>{before === null || before === undefined ? "–" : show(before)}</td>
                  <td>{change(now, before, show)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="charts-heading">
        <h2 id="charts-heading">Volume</h2>
        <Bars title="Messages by day" values={days} labelEvery={5} />
        <Heatmap cells={report.heatmap} />
        <Bars title="Ratings by stars" values={stars} />
      </section>
      <section aria-labelledby="sla-heading">
        <h2 id="sla-heading">SLA compliance</h2>
        <table class="queue figures">
          <Head columns={["Time", "Target", "Median (business)", "Median (wall clock)", "Within target"]} />
          <tbody>
            {(
              [
                ["First response", report.first_response],
                ["Response", report.response],
                ["Resolution", report.resolution],
              ] as const
            ).map(([name, t]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{minutes(t.target_minutes)}</td>
                <td>{minutes(t.business.median_minutes)}</td>
                <td>{minutes(t.wall_clock.median_minutes)}</td>
                <td>{percent(t.within_target)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          Responses on time: {report.sla.responses_on_time} of {report.sla.responses} (
          {percent(report.sla.response_compliance)}); resolutions on time: {report.sla.resolutions_on_time} of{" "}
          {report.sla.resolutions} ({percent(report.sla.resolution_compliance)}).
        </p>
      </section>
      <section aria-labelledby="satisfaction-heading">
        <h2 id="satisfaction-heading">Satisfaction</h2>
        <p>
          CSAT {percent(report.satisfaction.csat)} of {report.satisfaction.ratings} ratings (average{" "}
          {decimal(report.satisfaction.average)} stars; clarity {decimal(report.satisfaction.clarity)}, timeliness{" "}
          {decimal(report.satisfaction.timeliness)}, helpfulness {decimal(report.satisfaction.helpfulness)}). NPS{" "}
          {decimal(report.nps.score, 0)} from {report.nps.answers} answers: {report.nps.promoters} promoters,{" "}
          {report.nps.passives} passives, {report.nps.detractors} detractors.
        </p>
        <p>
          Complaints: {report.complaints.received} received, {report.complaints.resolved} resolved. Listings:{" "}
          {report.listings.listings_messaged} of {report.listings.active_listings} active listings messaged (
          {percent(report.listings.share_messaged)}).
        </p>
      </section>
      <System system={report.system} />
      <Broadcasts broadcasts={report.broadcasts} />
      <Rows title="By agent" rows={report.agents} />
      <Rows title="By team" rows={report.teams} />
      <Rows title="By category" rows={report.categories} />
    </>
  );
}

function Rows({ title, rows }: { title: string; rows: Schemas["ReportRow"][] }) {
  return (
    <section>
      <h2>{title}</h2>
      <table class="queue figures">
        <Head columns={["Name", "Opened", "Responses", "First response (median)", "Response (average)", "Resolved", "SLA compliance", "Ratings", "Satisfaction"]} />
        <tbody>
          {rows.map((row) => (
            <tr key={row.name}>
              <th scope="row">{row.name}</th>
              <td>{row.opened}</td>
              <td>{row.responses}</td>
              <td>{minutes(row.first_response_median_minutes)}</td>
              <td>{minutes(row.average_response_minutes)}</td>
              <td>{row.resolved}</td>
              <td>{percent(row.sla_compliance)}</td>
              <td>{row.ratings}</td>
              <td>{decimal(row.satisfaction)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The month's broadcasts and how they were received (each recipient counted once). */
function Broadcasts({ broadcasts }: { broadcasts: Schemas["BroadcastSummary"] }) {
  const rows = [
    ...broadcasts.items.map((b) => ({ key: b.id, name: b.subject, sent: new Date(b.created_at).toLocaleDateString(), ...b })),
    { key: "all", name: `All ${broadcasts.broadcasts} broadcasts`, sent: "", ...broadcasts },
  ];
  return (
    <section aria-labelledby="broadcasts-heading">
      <h2 id="broadcasts-heading">Broadcasts</h2>
      {broadcasts.broadcasts === 0 ? (
        <p>No broadcasts were sent this month.</p>
      ) : (
        <table class="queue figures">
          <Head columns={["Broadcast", "Sent", "Recipients", "Delivered", "Read", "Replied", "Bounced", "Read rate", "Reply rate", "Bounce rate"]} />
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <th scope="row">{row.name}</th>
                <td>{row.sent}</td>
                <td>{row.recipients}</td>
                <td>{row.delivered}</td>
                <td>{row.read}</td>
                <td>{row.replied}</td>
                <td>{row.bounced}</td>
                <td>{percent(row.read_rate)}</td>
                <td>{percent(row.reply_rate)}</td>
                <td>{percent(row.bounce_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function System({ system }: { system: Schemas["SystemFigures"] }) {
  const n = system.notifications;
  const failed = system.functions.reduce((sum, fn) => sum + fn.failed_invocations, 0);
  const cold = system.functions.reduce((sum, fn) => sum + fn.cold_starts, 0);
  return (
    <section aria-labelledby="system-heading">
      <h2 id="system-heading">System</h2>
      <p>
        Availability {availability(system.availability)}: {system.server_errors} of {system.answered} API answers were
        5xx. Failed invocations: {failed}; cold starts: {cold}. Emails {n.emails_sent} sent,{" "}
        {n.emails_failed} failed; SMS {n.sms_sent} sent, {n.sms_failed} failed; webhook posts {n.webhook_posts},{" "}
        {n.webhook_posts_failed} failed (retried).
      </p>
      <table class="queue figures">
        <Head columns={["Route group", "Answered", "p50", "p99"]} />
        <tbody>
          {system.latency.map((group) => (
            <tr key={group.group}>
              <th scope="row">{group.group}</th>
              <td>{group.answered}</td>
              <td>{milliseconds(group.p50_ms)}</td>
              <td>{milliseconds(group.p99_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
