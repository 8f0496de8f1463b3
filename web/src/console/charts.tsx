// The report's charts, drawn in the page (SVG and a table; no chart library): each
// says in words what it shows, for screen readers.

/** Vertical bars, one per `[label, value]`, with every `labelEvery`th label under them. */
export function Bars({
  title,
  values,
  labelEvery = 1,
  show = String,
}: {
  title: string;
  values: [string, number][];
  labelEvery?: number;
  show?: (value: number) => string;
}) {
  const width = 640;
  const height = 160;
  const top = Math.max(1, ...values.map(([, v]) => v));
  const step = width / Math.max(1, values.length);
  const most = values.reduce((best, entry) => (entry[1] > best[1] ? entry : best), ["", 0] as [string, number]);
  const summary = `${title}: ${values.length} bars, the highest ${show(most[1])} (${most[0]}).`;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={summary}>
        {values.map(([label, value], i) => {
          const h = (value / top) * height;
          return (
            <g key={label}>
              <rect x={i * step + 1} y={height - h} width={Math.max(1, step - 2)} height={h} class="bar">
                <title>{`${label}: ${show(value)}`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text x={i * step + step / 2} y={height + 14} text-anchor="middle" class="axis">
                  {label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Messages by weekday and hour as a table of shaded cells: five shades, so the figure
 *  in each stays readable (dark text on the light ones, white on the dark). */
export function Heatmap({ cells }: { cells: number[][] }) {
  const top = Math.max(1, ...cells.flat());
  const shade = (value: number) => (value === 0 ? 0 : Math.min(4, Math.ceil((value / top) * 4)));
  return (
    <table class="heatmap">
      <caption>Messages by weekday and hour (South African time)</caption>
      <thead>
        <tr>
          <td />
          {Array.from({ length: 24 }, (_, hour) => (
            <th scope="col">{String(hour).padStart(2, "0")}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {cells.map((row, day) => (
          <tr>
            <th scope="row">{WEEKDAYS[day]}</th>
            {row.map((value) => (
              <td class={`shade-${shade(value)}`}>{value || ""}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
