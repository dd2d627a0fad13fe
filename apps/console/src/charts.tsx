import type { ReactNode } from 'react';
import { Bar } from 'react-chartjs-2';
import { BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartData, type ChartOptions } from 'chart.js';

// Only the pieces the console's bar charts use: Chart.js tree-shakes the rest out of the bundle.
Chart.register(BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** The last `n` UTC days, oldest first, as YYYY-MM-DD: a chart's x axis, with the days nothing was reported. */
export const lastDays = (n: number): string[] => Array.from({ length: n }, (_, i) => new Date(Date.now() - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));

/** Colours for series, in order: distinguishable, and readable on white. */
export const SERIES_COLOURS = ['#2f6fde', '#1f7a3d', '#8a4fd0', '#c46a00', '#0e7c86', '#b42318', '#5b6675', '#a0527a'];

/**
 * A bar chart as the console shows one: a caption that says in words what the bars show (read by
 * screen readers as the chart's label too), at a fixed height, without animation.
 */
export function BarFigure({ caption, label, testId, height = 220, scales, data }: { caption: ReactNode; label: string; testId?: string; height?: number; scales: ChartOptions<'bar'>['scales']; data: ChartData<'bar'> }) {
  return (
    <figure className="chart">
      <figcaption data-testid={testId}>{caption}</figcaption>
      <div style={{ height }}>
        <Bar role="img" aria-label={label} options={{ maintainAspectRatio: false, animation: false, scales }} data={data} />
      </div>
    </figure>
  );
}
