import uPlot, { type AlignedData, type Options } from 'uplot';

export const PALETTE = [
  '#7eb26d',
  '#eab839',
  '#6ed0e0',
  '#ef843c',
  '#e24d42',
  '#1f78c1',
  '#ba43a9',
  '#705da0',
  '#508642',
  '#cca300',
  '#447ebc',
  '#c15c17',
];

export interface ChartOptions {
  readonly labels: readonly string[];
  readonly band: boolean;
  readonly zone: string;
  readonly syncKey?: string;
  readonly width: number;
  readonly height: number;
  readonly dark: boolean;
  /** A drag selected `[from, to]` (epoch ms). */
  readonly onZoom?: (from: number, to: number) => void;
  /** The cursor moved: the row index under it, or null when it left. */
  readonly onCursor?: (index: number | null) => void;
  /** After each draw, e.g. to place event markers. */
  readonly onDraw?: (chart: uPlot) => void;
  readonly onClick?: (timeMs: number) => void;
}

/**
 * One uPlot per panel, created once and destroyed on teardown. Data goes in as aligned columns
 * `[x, line0, (min0, max0)?, line1, ...]` handed to `setData` without copying; the min–max band of the
 * M4 answer is drawn from hidden series between the line's min and max.
 */
export class TimeSeriesChart {
  readonly plot: uPlot;
  private readonly seriesPerTag: number;

  constructor(
    element: HTMLElement,
    private readonly options: ChartOptions,
  ) {
    this.seriesPerTag = options.band ? 3 : 1;
    const axisColor = options.dark ? '#9aa3ad' : '#4a5561';
    const gridColor = options.dark ? 'rgba(255,255,255,0.07)' : 'rgba(0,0,0,0.08)';
    const series: Options['series'] = [{}];
    const bands: NonNullable<Options['bands']> = [];
    options.labels.forEach((label, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      series.push({ label, stroke: color, width: 1.5, points: { show: false } });
      if (options.band) {
        const base = 1 + i * 3;
        series.push({ label: `${label} min`, stroke: 'transparent', points: { show: false } });
        series.push({ label: `${label} max`, stroke: 'transparent', points: { show: false } });
        bands.push({ series: [base + 2, base + 1], fill: `${color}33` });
      }
    });
    const axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 },
    };
    // 24-hour plant clock; the date appears when the span crosses days.
    const format = (withDate: boolean, withSeconds: boolean) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: options.zone,
        hour: '2-digit',
        minute: '2-digit',
        ...(withSeconds ? { second: '2-digit' } : {}),
        ...(withDate ? { month: 'short', day: 'numeric' } : {}),
        hourCycle: 'h23',
      });
    const timeAxis = (u: uPlot, splits: number[]) => {
      const span = (u.scales.x!.max ?? 0) - (u.scales.x!.min ?? 0);
      const formatter = format(span > 86_400, span < 600);
      return splits.map((s) => formatter.format(s * 1000));
    };
    const plotOptions: Options = {
      width: options.width,
      height: options.height,
      series,
      bands,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [
        { ...axis, values: timeAxis, space: 70 },
        { ...axis, size: 56 },
      ],
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), options.zone),
      cursor: {
        drag: { x: true, y: false, setScale: false },
        ...(options.syncKey ? { sync: { key: options.syncKey, setSeries: false } } : {}),
        points: { size: 6 },
      },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 3) {
              const from = u.posToVal(u.select.left, 'x');
              const to = u.posToVal(u.select.left + u.select.width, 'x');
              options.onZoom?.(from * 1000, to * 1000);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [(u) => options.onCursor?.(u.cursor.idx ?? null)],
        draw: [(u) => options.onDraw?.(u)],
      },
    };
    this.plot = new uPlot(plotOptions, [[]], element);
    if (options.onClick)
      this.plot.over.addEventListener('click', (event) => {
        const left = event.clientX - this.plot.over.getBoundingClientRect().left;
        options.onClick?.(this.plot.posToVal(left, 'x') * 1000);
      });
  }

  /**
   * Draws columns: `lines[i]` and, with the band, `mins[i]`/`maxs[i]`. The arrays are passed as they are;
   * uPlot reads `undefined` as "no point" (joined) and `null` as a break.
   */
  setColumns(
    times: ArrayLike<number>,
    lines: readonly ArrayLike<number | null | undefined>[],
    mins?: readonly ArrayLike<number | null | undefined>[],
    maxs?: readonly ArrayLike<number | null | undefined>[],
    xRange?: { from: number; to: number },
  ): void {
    const data: unknown[] = [times];
    lines.forEach((line, i) => {
      data.push(line);
      if (this.seriesPerTag === 3) data.push(mins?.[i] ?? line, maxs?.[i] ?? line);
    });
    this.plot.batch(() => {
      this.plot.setData(data as AlignedData, xRange === undefined);
      if (xRange) this.plot.setScale('x', { min: xRange.from / 1000, max: xRange.to / 1000 });
    });
  }

  setXRange(from: number, to: number): void {
    this.plot.setScale('x', { min: from / 1000, max: to / 1000 });
  }

  resize(width: number, height: number): void {
    if (width > 0 && height > 0) this.plot.setSize({ width, height });
  }

  destroy(): void {
    this.plot.destroy();
  }
}
