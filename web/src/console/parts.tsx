// Small pieces every page uses: a labelled choice, an error as people read it, a table's
// column headings.

export function Choice({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  /** `[value, what it is called]`. */
  options: [string, string][];
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, name]) => (
          <option value={v}>{name}</option>
        ))}
      </select>
    </label>
  );
}

/** Options whose values are also their names. */
export function asOptions(values: readonly string[]): [string, string][] {
  return values.map((v) => [v, v]);
}

export function ErrorLine({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" class="error">
      {message}
    </p>
  ) : null;
}

/** A table's column headings; an empty name is the actions column, named for screen readers. */
export function Head({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((name) => (
          <th scope="col">{name || <span class="visually-hidden">Actions</span>}</th>
        ))}
      </tr>
    </thead>
  );
}
