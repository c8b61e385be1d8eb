// Which label names an alert's service (CONTRACT §1: first present of a configurable list).

/** The value of the first label of `serviceLabels` that is present and non-empty; '' when none is. */
export function serviceFromLabels(labels: Readonly<Record<string, string>>, serviceLabels: readonly string[]): string {
  for (const name of serviceLabels) {
    const value = labels[name];
    // typeof guards against names like 'toString' reaching Object.prototype.
    if (typeof value === 'string' && value !== '') return value;
  }
  return '';
}
