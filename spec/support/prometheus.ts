import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample of a parsed family: its labels and value (histograms: buckets, count and sum). */
export interface PromSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: PromSample[];
}

/** Parses Prometheus' text format with a parser of its own (not ours), failing on text it cannot read. */
export function parseMetrics(text: string): Map<string, PromFamily> {
  const families = parsePrometheusTextFormat(text) as PromFamily[];
  return new Map(families.map((family) => [family.name, family]));
}

/** The value of the sample of `name` whose labels include `labels`; undefined when there is none. */
export function sample(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!found) return undefined;
  return Number(found.value ?? found.count);
}
