/**
 * Pure helpers: medians of repeated runs with their spread, a plain-text table, numbers to text.
 */

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Spread of repeated runs: min, max and (max − min) / |median| as %. NaN with fewer than 2 runs. */
export function spread(values: readonly number[]): { min: number; max: number; relPct: number } {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length < 2) return { min: v[0] ?? Number.NaN, max: v[0] ?? Number.NaN, relPct: Number.NaN };
  const min = Math.min(...v);
  const max = Math.max(...v);
  const m = Math.abs(median(v));
  return { min, max, relPct: m > 0 ? ((max - min) / m) * 100 : Number.NaN };
}

/**
 * Combines repeated runs of one measurement (objects with the same keys): every numeric key becomes
 * the median over the runs; non-numeric keys come from the first run. `noise` holds each numeric
 * key's spread (only when there were ≥ 2 runs).
 */
export function combineRuns<T extends object>(runs: readonly T[]): { value: T; noise: Record<string, { min: number; max: number; relPct: number }> } {
  if (runs.length === 0) throw new RangeError('combineRuns: no runs');
  const value: Record<string, unknown> = { ...(runs[0]! as Record<string, unknown>) };
  const noise: Record<string, { min: number; max: number; relPct: number }> = {};
  for (const [key, first] of Object.entries(runs[0]!)) {
    if (typeof first !== 'number') continue;
    const values = runs.map((r) => (r as Record<string, unknown>)[key] as number);
    value[key] = median(values);
    if (runs.length >= 2) noise[key] = spread(values);
  }
  return { value: value as T, noise };
}

/** Number → short text: NaN/undefined → '–', else `digits` decimals. */
export function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return x.toFixed(digits);
}

export interface Column<R> {
  header: string;
  /** Right-aligned (numbers) unless 'left'. */
  align?: 'left' | 'right';
  cell: (row: R) => string;
}

/** A fixed-width text table with a header rule; markdown = pipes for docs/PERFORMANCE.md. */
export function formatTable<R>(columns: ReadonlyArray<Column<R>>, rows: readonly R[], opts: { markdown?: boolean } = {}): string {
  // A '|' inside a markdown cell would end the cell.
  const esc = (text: string): string => (opts.markdown ? text.replace(/\|/g, '\\|') : text);
  const cells = rows.map((r) => columns.map((c) => esc(c.cell(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const pad = (text: string, i: number): string => (columns[i]!.align === 'left' ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  if (opts.markdown) {
    const line = (parts: string[]): string => `| ${parts.join(' | ')} |`;
    const rule = columns.map((c, i) => (c.align === 'left' ? ':' + '-'.repeat(Math.max(2, widths[i]! - 1)) : '-'.repeat(Math.max(2, widths[i]! - 1)) + ':'));
    return [line(columns.map((c, i) => pad(c.header, i))), `|${rule.map((r) => ` ${r} `).join('|')}|`, ...cells.map((row) => line(row.map(pad)))].join('\n');
  }
  const line = (parts: string[]): string => parts.join('  ').trimEnd();
  return [line(columns.map((c, i) => pad(c.header, i))), line(widths.map((w) => '-'.repeat(w))), ...cells.map((row) => line(row.map(pad)))].join('\n');
}

/** Replaces the text between two marker lines (keeping the markers); appends markers + text when absent. */
export function replaceBetweenMarkers(doc: string, begin: string, end: string, generated: string): string {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  const block = `${begin}\n${generated.trimEnd()}\n${end}`;
  if (a < 0 || b < a) return `${doc.trimEnd()}${doc.trim() ? '\n\n' : ''}${block}\n`;
  return doc.slice(0, a) + block + doc.slice(b + end.length);
}
