/**
 * The DORA page's charts in the browser, drawn with Chart.js (bundled from node_modules by esbuild and served
 * as /_sandbox/assets/dora.js; no CDN). Reads the JSON the server put in `#dora-data` (`chartData` in
 * dora.ts) and draws: deployments per day (stacked bars, successful and failed), the lead-time distribution
 * (bars over the API's bins) and failures from detection to restore (floating horizontal bars per service on
 * a time axis). Each canvas gets `data-points` (how many values it drew) once drawn.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { DoraChartData } from './dora';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const GREEN = '#2e9d5b';
const RED = '#d23c3c';
const BLUE = '#2f6fde';
const AMBER = '#e08a00';

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function draw(root: ParentNode, id: string, config: ChartConfiguration, points: number): void {
  const canvas = root.querySelector<HTMLCanvasElement>(`#${id}`);
  if (!canvas) return;
  Chart.getChart(canvas)?.destroy();
  // No animation: the page is a report, and screenshots and tests see the final picture at once.
  config.options = { ...config.options, animation: false, responsive: true, maintainAspectRatio: false };
  new Chart(canvas, config);
  canvas.dataset.points = String(points);
}

/** Draws (or redraws) the three charts of the DORA fragment under `root`. */
export function renderDoraCharts(root: ParentNode): void {
  const el = root.querySelector('#dora-data');
  if (!el?.textContent) return;
  const data = JSON.parse(el.textContent) as DoraChartData;

  draw(
    root,
    'dora-frequency',
    {
      type: 'bar',
      data: {
        labels: data.frequency.map((d) => d.day.slice(5)),
        datasets: [
          { label: 'successful', data: data.frequency.map((d) => d.deployed), backgroundColor: GREEN },
          { label: 'failed', data: data.frequency.map((d) => d.failed), backgroundColor: RED },
        ],
      },
      options: {
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: {
            stacked: true,
            beginAtZero: true,
            ticks: { precision: 0 },
            title: { display: true, text: 'deployments' },
          },
        },
      },
    },
    data.frequency.length,
  );

  draw(
    root,
    'dora-lead-time',
    {
      type: 'bar',
      data: {
        labels: data.leadTime.map((b) => b.label),
        datasets: [{ label: 'commits', data: data.leadTime.map((b) => b.count), backgroundColor: BLUE }],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'commits' } },
        },
      },
    },
    data.leadTime.length,
  );

  const services = [...new Set(data.failures.map((f) => f.service))].sort();
  const bars = data.failures.map((f) => ({
    x: [f.detectedAt, f.restoredAt ?? data.window.to] as [number, number],
    y: f.service,
    f,
  }));
  draw(
    root,
    'dora-failures',
    {
      type: 'bar',
      data: {
        labels: services,
        datasets: [
          {
            label: 'failed → restored',
            data: bars as never,
            backgroundColor: bars.map((b) => (b.f.restoredAt ? AMBER : RED)),
            borderColor: bars.map((b) => (b.f.restoredAt ? AMBER : RED)),
            borderWidth: 2,
            minBarLength: 4,
            barPercentage: 0.6,
          },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const f = bars[ctx.dataIndex].f;
                return `${f.release} ${f.outcome}: ${stamp(f.detectedAt)} → ${f.restoredAt ? `${stamp(f.restoredAt)} (${f.restoredBy})` : 'not restored'}`;
              },
            },
          },
        },
        scales: {
          x: {
            type: 'linear',
            min: data.window.from,
            max: data.window.to,
            ticks: { callback: (v) => new Date(Number(v)).toISOString().slice(5, 10), maxRotation: 0 },
          },
        },
      },
    },
    bars.length,
  );
}

/** The data a drawn chart shows (labels and each dataset's values), for a check that it is the API's. */
export function drawnChartData(
  id: string,
): { labels: unknown[]; datasets: { label?: string; data: unknown[] }[] } | undefined {
  const chart = Chart.getChart(id);
  if (!chart) return undefined;
  return {
    labels: [...(chart.data.labels ?? [])],
    datasets: chart.data.datasets.map((d) => ({ label: d.label, data: [...d.data] })),
  };
}

Object.assign(window as unknown as Record<string, unknown>, {
  shipgateDora: renderDoraCharts,
  shipgateDrawnChart: drawnChartData,
});
