/** One sample of the Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/). */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text exposition format; comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL))
      labels[key!] = value!.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
    const value = Number(match[3]);
    if (!Number.isNaN(value) || match[3] === 'NaN') samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** Sums the samples of a metric, grouped by one label (`''` for samples without it). */
export function sumBy(samples: readonly PromSample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of samples)
    if (sample.name === name)
      out[sample.labels[label] ?? ''] = (out[sample.labels[label] ?? ''] ?? 0) + sample.value;
  return out;
}
