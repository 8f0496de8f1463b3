// Seniors and managers: the service now, per team. Read again on every live change to a
// conversation (the socket) and every 30 seconds, so it never stands still.
import { useEffect, useState } from "preact/hooks";
import { type Api, type Schemas, errorMessage } from "../api/client";
import { minutes } from "./format";
import { ErrorLine, Head } from "./parts";

export function Dashboard({ api, version }: { api: Api; version: number }) {
  const [now, setNow] = useState<Schemas["Dashboard"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    void api.GET("/v1/admin/dashboard", {}).then(({ data, error }) => {
      if (data) setNow(data);
      setError(data ? null : errorMessage(error, "The dashboard could not be read."));
    });
  }, [api, version, tick]);
  const total = (key: "open" | "pending" | "due_within_hour" | "breached") =>
    now?.teams.reduce((sum, team) => sum + Number(team[key]), 0) ?? 0;
  return (
    <main>
      <h1>Dashboard</h1>
      <ErrorLine message={error} />
      {now && (
        <>
          <ul class="tiles" aria-label="Now">
            <li>
              <strong>{total("open")}</strong> open
            </li>
            <li>
              <strong>{total("pending")}</strong> pending
            </li>
            <li class={total("due_within_hour") ? "warning" : ""}>
              <strong>{total("due_within_hour")}</strong> due within the hour
            </li>
            <li class={total("breached") ? "breached" : ""}>
              <strong>{total("breached")}</strong> breached
            </li>
            <li>
              <strong>{now.first_responses_today}</strong> first responses today, median{" "}
              {minutes(now.first_response_median_minutes_today)}
            </li>
            <li>
              <strong>
                {now.agents_on_duty} of {now.agents}
              </strong>{" "}
              agents on duty
            </li>
          </ul>
          <table class="queue">
            <caption>By team, as of {new Date(now.generated_at).toLocaleTimeString()}</caption>
            <Head columns={["Team", "Open", "Pending", "Due within the hour", "Breached", "Oldest waiting"]} />
            <tbody>
              {now.teams.map((team) => (
                <tr key={team.team}>
                  <th scope="row">{team.team}</th>
                  <td>{team.open}</td>
                  <td>{team.pending}</td>
                  <td>{team.due_within_hour}</td>
                  <td>{team.breached}</td>
                  <td>{minutes(team.oldest_waiting_minutes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  );
}
