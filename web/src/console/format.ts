// How figures read on the managers' pages: times, shares, money, months.

/** `null` as a dash: a figure with nothing to count reads as nothing, not as zero. */
const NONE = "–";

/** Minutes as "45 min", "3 h 05 min" or "2 d 4 h". */
export function minutes(value: number | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  const total = Math.round(value);
  if (total < 60) return `${total} min`;
  const hours = Math.floor(total / 60);
  if (hours < 48) return `${hours} h ${String(total % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A share (0 to 1) as a whole percent, or to a tenth under 10%. */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  const tenths = Math.round(value * 1000) / 10;
  return `${tenths < 10 && !Number.isInteger(tenths) ? tenths.toFixed(1) : Math.round(tenths)}%`;
}

export function decimal(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? NONE : value.toFixed(digits);
}

/** An amount in the price table's currency: cents, and hundredths of a cent under ten cents (a conversation costs about one). */
export function money(value: number | null | undefined, currency = "USD"): string {
  if (value === null || value === undefined) return NONE;
  return `${currency} ${value.toFixed(Math.abs(value) < 0.1 && value !== 0 ? 4 : 2)}`;
}

/** `yyyy-mm` of the month `offset` months from `date`'s, in South African time (the
 *  reports' months), wherever the browser is. */
export function monthOf(date: Date, offset = 0): string {
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Africa/Johannesburg", year: "numeric", month: "2-digit" })
    .format(date)
    .split("-")
    .map(Number);
  const shifted = new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1 + offset, 1));
  return `${shifted.getUTCFullYear()}-${String(shifted.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The change from `before` to `now`, as "+3", "−12%" etc.; a dash when either is missing. */
export function change(now: number | null | undefined, before: number | null | undefined, show: (v: number) => string): string {
  if (now === null || now === undefined || before === null || before === undefined) return NONE;
  const delta = now - before;
  if (delta === 0) return "no change";
  return `${delta > 0 ? "+" : "−"}${show(Math.abs(delta))}`;
}

/** Rows as CSV (RFC 4180: fields with commas, quotes or line breaks quoted). */
export function csv(rows: (string | number | null)[][]): string {
  const field = (value: string | number | null) => {
    const text = value === null ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return rows.map((row) => row.map(field).join(",")).join("\r\n") + "\r\n";
}
