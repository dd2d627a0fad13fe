import { BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

// Only the pieces the console's bar charts use: Chart.js tree-shakes the rest out of the bundle.
Chart.register(BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** Colours for series, in order: distinguishable, and readable on white. */
export const SERIES_COLOURS = ['#2f6fde', '#1f7a3d', '#8a4fd0', '#c46a00', '#0e7c86', '#b42318', '#5b6675', '#a0527a'];
