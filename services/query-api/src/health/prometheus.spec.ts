import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sumBy } from './prometheus.js';

describe('parsePrometheusText', () => {
  it('reads names, labels with escapes and values; skips comments', () => {
    const samples = parsePrometheusText(
      [
        '# HELP millrace_processor_samples_total Samples',
        '# TYPE millrace_processor_samples_total counter',
        'millrace_processor_samples_total{lateness="on_time",service="stream-processor"} 120',
        'millrace_processor_samples_total{lateness="late",service="stream-processor"} 3',
        'millrace_processor_dead_letters_total{topic="a \\"b\\""} 2',
        'up 1',
        'garbage',
      ].join('\n'),
    );
    expect(samples).toHaveLength(4);
    expect(samples[2]!.labels.topic).toBe('a "b"');
    expect(sumBy(samples, 'millrace_processor_samples_total', 'lateness')).toEqual({ on_time: 120, late: 3 });
  });
});
