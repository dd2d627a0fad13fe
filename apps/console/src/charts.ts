import { BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

// Only the pieces the console's bar charts use: Chart.js tree-shakes the rest out of the bundle.
Chart.register(BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** The last `n` UTC days, oldest first, as YYYY-MM-DD: a chart's x axis, with the days nothing was reported. */
export const lastDays = (n: number): string[] => Array.from({ length: n }, (_, i) => new Date(Date.now() - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));

/** Colours for series, in order: distinguishable, and readable on white. */
export const SERIES_COLOURS = ['#2f6fde', '#1f7a3d', '#8a4fd0', '#c46a00', '#0e7c86', '#b42318', '#5b6675', '#a0527a'];
