// Small pieces every page uses: a labelled choice, and an error as people read it.

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

export function ErrorLine({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" class="error">
      {message}
    </p>
  ) : null;
}
