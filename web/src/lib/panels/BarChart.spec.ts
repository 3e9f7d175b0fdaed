import { panelSchema } from '@millrace/dashboards';
import { cleanup, render } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import BarChart from './BarChart.svelte';

const panel = panelSchema.parse({
  id: 'bars',
  title: 'Coils per alloy',
  type: 'barchart',
  grid: { x: 0, y: 0, w: 12, h: 8 },
  query: { source: 'summary', by: 'alloy_code' },
  options: { valueKey: 'coils', labelKey: 'key', decimals: 0 },
});

describe('BarChart', () => {
  afterEach(cleanup);
  it('draws one bar per group, largest first, scaled to the largest', () => {
    const { container } = render(BarChart, {
      props: {
        panel,
        rows: [
          { key: 'DC01', coils: 28 },
          { key: '09C', coils: 2875 },
          { key: 'TS0', coils: null },
        ],
      },
    });
    const labels = [...container.querySelectorAll('.label')].map((el) => el.textContent);
    expect(labels).toEqual(['09C', 'DC01', 'TS0']);
    const widths = [...container.querySelectorAll<HTMLElement>('.fill')].map((el) => el.style.width);
    expect(widths[0]).toBe('100%');
    expect(parseFloat(widths[1]!)).toBeCloseTo((28 / 2875) * 100, 3);
    expect(container.querySelector('.value')?.textContent).toBe('2,875');
  });

  it('says so when the range holds no rows', () => {
    const { container } = render(BarChart, { props: { panel, rows: [] } });
    expect(container.textContent).toContain('No data in this range');
  });
});
