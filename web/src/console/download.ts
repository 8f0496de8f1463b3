// Files the console makes for the person: a CSV or an HTML report saved with its name.

/** Saves `text` as a file named `name` (a link clicked on a Blob: no new tab, no CSP needed). */
export function save(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy once clicked.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
