import { panelSchema } from '@millrace/dashboards';
import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP, DASHBOARD } from '../context.js';
import TablePanel from './TablePanel.svelte';

const panel = panelSchema.parse({
  id: 'coils',
  title: 'Coils',
  type: 'table',
  grid: { x: 0, y: 0, w: 24, h: 8 },
  query: { source: 'coils' },
  options: {
    columns: [
      { key: 'coil_id', label: 'Coil ID' },
      { key: 'ts', label: 'Start', format: 'time' },
      { key: 'weight_kg', label: 'Weight', format: 'number', decimals: 0 },
    ],
  },
});
const rows = [
  {
    coil_id: 'B2',
    ts: '2026-07-01T10:00:00.000000Z',
    end_ts: '2026-07-01T10:03:00.000000Z',
    weight_kg: 9000,
  },
  {
    coil_id: 'B1',
    ts: '2026-07-01T09:57:00.000000Z',
    end_ts: '2026-07-01T10:00:00.000000Z',
    weight_kg: 15871,
  },
  { coil_id: 'B3', ts: '2026-07-01T10:03:00.000000Z', end_ts: null, weight_kg: null },
];

function show(data: { kind: 'rows'; rows: typeof rows }) {
  const selectCoil = vi.fn();
  const context = new Map<symbol, unknown>([
    [APP, { zone: 'Europe/Berlin' }],
    [
      DASHBOARD,
      { time: { now: Date.parse('2026-07-01T12:00:00Z') }, selections: () => ({ coil: ['B1'] }), selectCoil },
    ],
  ]);
  return { ...render(TablePanel, { props: { panel, data }, context }), selectCoil };
}

const column = (container: HTMLElement, index: number) =>
  [...container.querySelectorAll('tbody tr')].map((tr) => tr.querySelectorAll('td')[index]?.textContent);

describe('TablePanel', () => {
  afterEach(cleanup);
  it('formats times in the plant zone and numbers with their decimals', () => {
    const { container } = show({ kind: 'rows', rows });
    expect(column(container, 1)).toEqual([
      '2026-07-01 12:00:00',
      '2026-07-01 11:57:00',
      '2026-07-01 12:03:00',
    ]);
    expect(column(container, 2)).toEqual(['9,000', '15,871', '–']);
  });

  it('sorts by a clicked column, toggles the direction, keeps empty cells last', async () => {
    const { container, getByRole } = show({ kind: 'rows', rows });
    await fireEvent.click(getByRole('button', { name: 'Weight' }));
    expect(column(container, 0)).toEqual(['B2', 'B1', 'B3']);
    await fireEvent.click(getByRole('button', { name: 'Weight ↑' }));
    expect(column(container, 0)).toEqual(['B1', 'B2', 'B3']);
  });

  it('marks the selected coil and picks a coil with its span on click', async () => {
    const { container, selectCoil } = show({ kind: 'rows', rows });
    expect(container.querySelector('tr.selected td')?.textContent).toBe('B1');
    await fireEvent.click(container.querySelectorAll('tbody tr')[0]!);
    expect(selectCoil).toHaveBeenCalledWith(
      'B2',
      Date.parse('2026-07-01T10:00:00Z'),
      Date.parse('2026-07-01T10:03:00Z'),
    );
  });

  it('picks an order (or cell) from the key its panel names, and takes its columns from the data', async () => {
    const orders = panelSchema.parse({
      id: 'orders',
      title: 'Orders',
      type: 'table',
      grid: { x: 0, y: 0, w: 24, h: 8 },
      query: { source: 'mes-orders' },
      options: { pick: { kind: 'order', key: 'orderId' } },
    });
    const selectProduction = vi.fn();
    const context = new Map<symbol, unknown>([
      [APP, { zone: 'UTC' }],
      [DASHBOARD, { time: { now: 0 }, selections: () => ({ order: ['98766'] }), selectProduction }],
    ]);
    const data = {
      kind: 'rows' as const,
      rows: [
        { orderId: '98765', state: 'completed' },
        { orderId: '98766', state: 'running' },
      ],
      columns: [
        { key: 'orderId', label: 'Order', format: 'text' as const },
        { key: 'state', label: 'State', format: 'text' as const },
      ],
      note: 'from the bridge',
    };
    const { container } = render(TablePanel, { props: { panel: orders, data }, context });
    expect([...container.querySelectorAll('th')].map((th) => th.textContent)).toEqual(['Order', 'State']);
    expect(container.querySelector('tr.selected td')?.textContent).toBe('98766');
    expect(container.querySelector('[data-testid=panel-note]')?.textContent).toBe('from the bridge');
    await fireEvent.click(container.querySelectorAll('tbody tr')[0]!);
    expect(selectProduction).toHaveBeenCalledWith({ kind: 'order', id: '98765' });
  });

  it('shows the empty text of the panel when there are no rows', () => {
    const { container } = show({ kind: 'rows', rows: [] });
    expect(container.textContent).toContain('No rows in this range.');
  });
});
