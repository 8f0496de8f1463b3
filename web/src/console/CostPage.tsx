// Finance and managers: the month's pay-per-use cost, by service, day, conversation,
// category and team, the current month projected; as a CSV too.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Schemas, errorMessage } from "../api/client";
import { Bars } from "./charts";
import { save } from "./download";
import { csv, money, monthOf, percent } from "./format";
import { ErrorLine, Head } from "./parts";

type CostReport = Schemas["CostReport"];

const SERVICES: [Exclude<keyof Schemas["Cost"], "sms" | "total">, string][] = [
  ["dynamodb_reads", "DynamoDB reads"],
  ["dynamodb_writes", "DynamoDB writes"],
  ["lambda_requests", "Lambda requests"],
  ["lambda_compute", "Lambda compute"],
  ["api_requests", "API requests"],
  ["email", "Email (SES)"],
];

/** Every service's line, SMS per country, then the total. */
function services(cost: Schemas["Cost"]): [string, number][] {
  return [
    ...SERVICES.map(([key, name]): [string, number] => [name, cost[key]]),
    ...Object.entries(cost.sms).map(([country, amount]): [string, number] => [`SMS (${country})`, amount]),
  ];
}

/** The page's figures as one CSV: section, name, value. */
export function costCsv(report: CostReport): string {
  return csv([
    ["section", "name", "value"],
    ...services(report.by_service).map(([name, amount]) => ["service", name, amount]),
    ["service", "total", report.by_service.total],
    ...report.daily.map((day) => ["day", day.date, day.total]),
    ...report.by_category.map((a) => ["category", a.name, a.cost]),
    ...report.by_team.map((a) => ["team", a.name, a.cost]),
    ["month", "conversations", report.conversations],
    ["month", "per conversation", report.per_conversation ?? null],
    ["month", "projected total", report.projected_total],
  ]);
}

export function CostPage({ api, now }: { api: Api; now: Date }) {
  const [month, setMonth] = useState(monthOf(now, -1));
  const [report, setReport] = useState<CostReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setReport(null);
    void api.GET("/v1/admin/costs/{month}", { params: { path: { month } } }).then(({ data, error }) => {
      setReport(data ?? null);
      setError(data ? null : errorMessage(error, "The cost could not be read."));
    });
  }, [api, month]);
  const currency = report?.prices.currency ?? "USD";
  const show = (v: number) => money(v, currency);
  return (
    <main>
      <h1>Cost</h1>
      <div class="views">
        <label>
          Month
          <input type="month" value={month} max={monthOf(now)} onChange={(e) => setMonth(e.currentTarget.value)} />
        </label>
        <button
          type="button"
          disabled={!report}
          onClick={() => report && save(`saypro-messaging-cost-${month}.csv`, "text/csv", costCsv(report))}
        >
          Download CSV
        </button>
      </div>
      <ErrorLine message={error} />
      {report && (
        <>
          <ul class="tiles" aria-label="The month">
            <li>
              <strong>{show(report.by_service.total)}</strong> so far ({report.days_counted} of {report.days_in_month}{" "}
              days)
            </li>
            <li>
              <strong>{show(report.projected_total)}</strong> projected for the month
            </li>
            <li>
              <strong>{report.conversations}</strong> conversations, {money(report.per_conversation, currency)} each
            </li>
          </ul>
          <Bars title="Cost by day" values={report.daily.map((d) => [d.date.slice(8), d.total])} labelEvery={5} show={show} />
          <section>
            <h2>By service</h2>
            <table class="queue figures">
              <tbody>
                {services(report.by_service).map(([name, amount]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>{show(amount)}</td>
                  </tr>
                ))}
                <tr>
                  <th scope="row">Total</th>
                  <td>{show(report.by_service.total)}</td>
                </tr>
              </tbody>
            </table>
            <p class="hint">Priced by: {report.prices.source}.</p>
          </section>
          <Allocations title="By category" rows={report.by_category} show={show} />
          <Allocations title="By team" rows={report.by_team} show={show} />
        </>
      )}
    </main>
  );
}

function Allocations({ title, rows, show }: { title: string; rows: Schemas["Allocation"][]; show: (v: number) => string }) {
  return (
    <section>
      <h2>{title}</h2>
      <table class="queue figures">
        <Head columns={["Name", "Conversations", "Share", "Cost"]} />
        <tbody>
          {rows.map((row) => (
            <tr key={row.name}>
              <th scope="row">{row.name}</th>
              <td>{row.conversations}</td>
              <td>{percent(row.share)}</td>
              <td>{show(row.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
