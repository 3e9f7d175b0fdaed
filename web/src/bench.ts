import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { TimeSeriesChart } from './lib/chart/timeseries-chart.js';

/**
 * The chart bench page (bench/src/web.ts drives it): the same columns drawn by bare uPlot and by the
 * panel's chart component, alternating, so both pay the same JIT and GC state.
 */
function columns(n: number): [Float64Array, Float64Array] {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let level = 0;
  for (let i = 0; i < n; i += 1) {
    xs[i] = 1_700_000_000 + i;
    level += Math.sin(i / 1000) + (((i * 2654435761) % 1000) / 1000 - 0.5);
    ys[i] = level;
  }
  return [xs, ys];
}

function timeDraw(
  create: (element: HTMLElement, onDrawn: () => void) => { destroy: () => void },
  element: HTMLElement,
): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    let handle: { destroy: () => void } | undefined = undefined;
    handle = create(element, () => {
      const elapsed = performance.now() - start;
      queueMicrotask(() => handle?.destroy());
      resolve(elapsed);
    });
  });
}

async function run(n: number, rounds: number) {
  const [xs, ys] = columns(n);
  const a = document.getElementById('a')!;
  const b = document.getElementById('b')!;
  const bare: number[] = [];
  const ours: number[] = [];
  const drawBare = () =>
    timeDraw((el, done) => {
      const plot = new uPlot(
        {
          width: 1200,
          height: 400,
          series: [{}, { stroke: 'red' }],
          scales: { x: { time: true } },
          hooks: { draw: [() => done()] },
        },
        [xs, ys] as unknown as uPlot.AlignedData,
        el,
      );
      return plot;
    }, a);
  const drawOurs = () =>
    timeDraw((el, done) => {
      const chart = new TimeSeriesChart(el, {
        labels: ['y'],
        band: false,
        zone: 'UTC',
        width: 1200,
        height: 400,
        dark: true,
        onDraw: () => done(),
      });
      chart.setColumns(xs, [ys]);
      return chart;
    }, b);
  // Alternating which goes first, so neither always inherits the other's garbage.
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) {
      bare.push(await drawBare());
      ours.push(await drawOurs());
    } else {
      ours.push(await drawOurs());
      bare.push(await drawBare());
    }
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  return { n, bareMs: median(bare), oursMs: median(ours), ratio: median(ours) / median(bare), bare, ours };
}

(globalThis as { runChartBench?: typeof run }).runChartBench = run;
