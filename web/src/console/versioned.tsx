// A form over a versioned settings document (issue 8's contract): the edit is a draft
// until saved; a save names the version it replaces, so a stale one is refused (409) and
// the person chooses: keep their edit and save it over the newer version, or load theirs.
// Nothing typed is lost without that choice.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type ApiError, errorMessage } from "../api/client";
import { ErrorLine } from "./parts";

export interface Versioned<T> {
  version: number;
  updated_at: string | null;
  updated_by: string | null;
  policy: T;
}

type Answer<T> = Promise<{ data?: Versioned<T>; error?: ApiError }>;

export interface Document<T> {
  draft: T;
  edit: (change: (draft: T) => T) => void;
}

export function VersionedForm<T>({
  title,
  load,
  store,
  canSave,
  children,
}: {
  title: string;
  load: () => Answer<T>;
  store: (version: number, policy: T) => Answer<T>;
  /** Managers save; others read (the API refuses them anyway). */
  canSave: boolean;
  children: (doc: Document<T>) => ComponentChildren;
}) {
  const [shown, setShown] = useState<Versioned<T> | null>(null);
  const [draft, setDraft] = useState<T | null>(null);
  const [conflict, setConflict] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = async () => {
    const { data, error } = await load();
    if (!data) return setError(errorMessage(error, `The ${title.toLowerCase()} could not be read.`));
    setShown(data);
    setDraft(data.policy);
    setConflict(false);
    setError(null);
  };
  useEffect(() => void reload(), [load]);
  const saveOver = async (version: number) => {
    if (!draft) return;
    const { data, error } = await store(version, draft);
    if (data) {
      setShown(data);
      setDraft(data.policy);
      setConflict(false);
      setError(null);
      setMessage(`Saved as version ${data.version}.`);
    } else if (error?.error.code === "conflict") {
      setConflict(true);
      setMessage(null);
      setError("Someone saved a newer version while you edited. Your edit is still here: save it over theirs, or load theirs.");
    } else {
      setMessage(null);
      setError(errorMessage(error, "Nothing was saved."));
    }
  };
  /** Keep this edit, replacing whatever version is current now. */
  const overwrite = async () => {
    const { data } = await load();
    if (data) await saveOver(data.version);
  };
  return (
    <main>
      <h1>{title}</h1>
      {shown && (
        <p class="hint">
          Version {shown.version}
          {shown.version === 0
            ? " (the built-in default, never saved)"
            : ` saved by ${shown.updated_by ?? "?"} at ${shown.updated_at ? new Date(shown.updated_at).toLocaleString() : "?"}`}
          .{canSave ? "" : " Only managers change these."}
        </p>
      )}
      {draft !== null && (
        <form
          class="settings"
          onSubmit={(event) => {
            event.preventDefault();
            if (shown) void saveOver(shown.version);
          }}
        >
          <fieldset disabled={!canSave}>{children({ draft, edit: (change) => setDraft((d) => (d === null ? d : change(d))) })}</fieldset>
          {canSave && (
            <div class="actions">
              <button type="submit">Save</button>
              {conflict && (
                <>
                  <button type="button" onClick={() => void overwrite()}>
                    Save mine over theirs
                  </button>
                  <button type="button" onClick={() => void reload()}>
                    Load theirs (discard my edit)
                  </button>
                </>
              )}
            </div>
          )}
        </form>
      )}
      <ErrorLine message={error} />
      {message && <p role="status">{message}</p>}
    </main>
  );
}
