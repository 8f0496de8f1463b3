// Pieces of the settings forms: a list of words in one field, an ordered list of rules,
// a set of checkboxes.
import type { ComponentChildren } from "preact";

/** A list of words as one line of text, and back: "a, b" ↔ ["a", "b"]. */
export const words = {
  show: (list: string[] | undefined) => (list ?? []).join(", "),
  read: (text: string) =>
    text
      .split(",")
      .map((w) => w.trim())
      .filter(Boolean),
};

/** An ordered list of rules in a form: each in its fieldset ("Rule 2"), with its own
 *  Remove button, and an Add button for a new one after the last. */
export function Items<R>({
  noun,
  article = "a",
  items,
  onChange,
  fresh,
  disabled = false,
  children,
}: {
  noun: string;
  article?: "a" | "an";
  items: R[];
  onChange: (items: R[]) => void;
  fresh: () => R;
  disabled?: boolean;
  children: (item: R, set: (change: Partial<R>) => void) => ComponentChildren;
}) {
  const named = noun[0]?.toUpperCase() + noun.slice(1);
  return (
    <>
      {items.map((item, i) => (
        <fieldset class="row" key={i}>
          <legend>
            {named} {i + 1}
          </legend>
          {children(item, (change) => onChange(items.map((it, j) => (j === i ? { ...it, ...change } : it))))}
          <button type="button" onClick={() => onChange(items.filter((_, j) => j !== i))}>
            Remove {noun} {i + 1}
          </button>
        </fieldset>
      ))}
      <button type="button" disabled={disabled} onClick={() => onChange([...items, fresh()])}>
        Add {article} {noun}
      </button>
    </>
  );
}

/** Checkboxes choosing some of `all`, kept in `all`'s order. */
export function Toggles<T extends string>({
  legend,
  all,
  chosen,
  onChange,
}: {
  legend: string;
  all: readonly T[];
  chosen: readonly T[];
  onChange: (chosen: T[]) => void;
}) {
  return (
    <fieldset class="days">
      <legend>{legend}</legend>
      {all.map((value) => (
        <label class="toggle" key={value}>
          <input
            type="checkbox"
            checked={chosen.includes(value)}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              onChange(all.filter((v) => (v === value ? on : chosen.includes(v))));
            }}
          />
          {value}
        </label>
      ))}
    </fieldset>
  );
}
