/**
 * The Python code the sidebar puts into notebooks. Pure functions, unit-tested.
 */

/** A Python string literal for any text (JSON string syntax is valid Python). */
export function pythonString(text: string): string {
  return JSON.stringify(text);
}

/** The reference for a dataset version: NAME:vN. */
export function versionRef(name: string, versionNumber: number): string {
  return `${name}:v${versionNumber}`;
}

/** Whether notebook cells already create a DatasetService called `svc`. */
export function hasConnect(sources: string[]): boolean {
  return sources.some(source => /^\s*svc\s*=\s*.*connect\(/m.test(source));
}

const CONNECT = 'import plexus_datasets as pds\nsvc = pds.connect()\n';

/** Code that loads a version into a DataFrame (and shows its first rows). */
export function loadCode(
  name: string,
  versionNumber: number,
  connected: boolean
): string {
  const line = `df = svc.load(${pythonString(versionRef(name, versionNumber))})`;
  return (connected ? '' : CONNECT) + line + '\ndf.head()';
}

/**
 * Code that shows the profile history of a dataset (or of one version), named by
 * its id: a name can be shared by datasets of several scorecards, an id can't.
 */
export function historyCode(
  datasetId: string,
  versionNumber: number | null,
  connected: boolean
): string {
  const target =
    versionNumber === null ? datasetId : versionRef(datasetId, versionNumber);
  return (
    (connected ? '' : CONNECT) +
    'from plexus_datasets.widgets import ProfileHistory\n' +
    `ProfileHistory(${pythonString(target)}, svc)`
  );
}

/** Answer shares as "Yes 70% · No 30%" (largest first). */
export function answerSummary(counts: { [value: string]: number }): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (!total) {
    return '';
  }
  return entries
    .map(([value, n]) => `${value} ${Math.round((100 * n) / total)}%`)
    .join(' · ');
}
