/**
 * The dashboard's script, run by the browser as a module (served as /dashboard.js):
 * every REFRESH_MS it reads metrics.json, histogram.json, rows.json and alerts.json
 * from the same API and updates the figures, the charts (Chart.js, served as
 * /chart.umd.js) and the table in place, without reloading the page. The functions
 * it exports are pure (unit-tested); `start` runs only in a browser.
 */

export const REFRESH_MS = 5_000;
/** Minutes of the per-minute chart. */
export const MINUTES_SHOWN = 6 * 60;
const NONE = '—';

/** Two decimals, as the figures of errors are shown; a dash for null. */
export function fixed2(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : NONE;
}

export function count(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : NONE;
}

/** A fraction as a percentage with one decimal: 0.9912 → "99.1 %". */
export function percent(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(1)} %` : NONE;
}

/** The KPI figures of a metrics.json document: name → { value (as in the document), text (as shown) }. */
export function kpiFigures(metrics) {
  const totals = metrics.totals ?? {};
  const lastMinute = [...(metrics.minutes ?? [])].reverse().find((minute) => minute.n > 0);
  return {
    rows: { value: totals.n ?? 0, text: count(totals.n ?? 0) },
    mae: { value: totals.mae ?? null, text: fixed2(totals.mae) },
    rmse: { value: totals.rmse ?? null, text: fixed2(totals.rmse) },
    abs_error_p90: { value: totals.abs_error_p90 ?? null, text: fixed2(totals.abs_error_p90) },
    bias: { value: totals.bias ?? null, text: fixed2(totals.bias) },
    label_coverage: { value: metrics.label_coverage ?? null, text: percent(metrics.label_coverage) },
    orphans: { value: metrics.orphans ?? null, text: count(metrics.orphans) },
    dead_letters: { value: metrics.dead_letters ?? null, text: count(metrics.dead_letters) },
    pending: { value: metrics.pending ?? null, text: count(metrics.pending) },
    last_row: { value: lastMinute?.start ?? null, text: lastMinute === undefined ? NONE : clock(lastMinute.start) },
  };
}

/** "14:05" in the viewer's time zone. */
export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The minutes of the last MINUTES_SHOWN before `updatedAt` that have rows: labels, MAE and RMSE. */
export function minuteSeries(metrics) {
  const end = Date.parse(metrics.updated_at ?? '') || Date.now();
  const shown = (metrics.minutes ?? []).filter((minute) => minute.n > 0 && Date.parse(minute.start) > end - MINUTES_SHOWN * 60_000);
  return {
    labels: shown.map((minute) => clock(minute.start)),
    mae: shown.map((minute) => minute.mae),
    rmse: shown.map((minute) => minute.rmse),
  };
}

/** The histogram's bars: one label per bin, "from–to" with one decimal as on the PNG. */
export function histogramBars(histogram) {
  const edges = histogram?.edges ?? [];
  const counts = histogram?.counts ?? [];
  return {
    labels: counts.map((_, i) => `${edges[i].toFixed(1)}–${edges[i + 1].toFixed(1)}`),
    counts: [...counts],
  };
}

/** The scatter's points and the y = x line over the range of both axes. */
export function scatterPoints(rows) {
  const trueValues = rows?.y_true ?? [];
  const predicted = rows?.y_pred ?? [];
  const points = trueValues.map((x, i) => ({ x, y: predicted[i] }));
  if (points.length === 0) return { points, line: [] };
  const all = [...trueValues, ...predicted];
  const low = Math.min(...all);
  const high = Math.max(...all);
  return {
    points,
    line: [
      { x: low, y: low },
      { x: high, y: high },
    ],
  };
}

/** The model table's rows, most rows first. */
export function modelRows(metrics) {
  return Object.entries(metrics.models ?? {})
    .sort(([, a], [, b]) => b.n - a.n)
    .map(([version, summary]) => [
      version,
      count(summary.n),
      fixed2(summary.mae),
      fixed2(summary.rmse),
      fixed2(summary.bias),
      fixed2(summary.abs_error_p90),
    ]);
}

/**
 * One line per firing alert of alerts.json (its own summary when it has one); none when
 * the file is absent or nothing fires.
 */
export function alertLines(alerts) {
  const firing = Array.isArray(alerts?.firing) ? alerts.firing : [];
  return firing.map((alert) => {
    const since = alert.at === undefined ? '' : ` (since ${clock(alert.at)})`;
    if (typeof alert.summary === 'string') return `${alert.state ?? 'FIRING'}: ${alert.rule}: ${alert.summary}${since}`;
    const value = typeof alert.value === 'number' ? fixed2(alert.value) : String(alert.value ?? NONE);
    const threshold = typeof alert.threshold === 'number' ? fixed2(alert.threshold) : String(alert.threshold ?? NONE);
    const window = alert.window === undefined ? '' : alert.window === 'all' ? ' over all rows' : ` over ${alert.window} min`;
    return `${alert.state ?? 'FIRING'}: ${alert.rule}${window}: ${value}, threshold ${threshold}${since}`;
  });
}

// ---- the browser part ----

const COLORS = { bars: 'rgba(31, 119, 180, 0.85)', mae: '#1f77b4', rmse: '#d62728', points: 'rgba(31, 119, 180, 0.45)', line: '#444' };

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function makeCharts(Chart) {
  const common = { responsive: true, maintainAspectRatio: false, animation: false };
  return {
    histogram: new Chart(document.getElementById('histogram'), {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          {
            label: 'rows',
            data: [],
            backgroundColor: COLORS.bars,
            borderColor: '#000',
            borderWidth: 1,
            barPercentage: 1,
            categoryPercentage: 1,
          },
        ],
      },
      options: {
        ...common,
        plugins: { legend: { display: false } },
        scales: {
          x: { title: { display: true, text: '|error|' } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'rows' } },
        },
      },
    }),
    minutes: new Chart(document.getElementById('minutes'), {
      type: 'line',
      data: {
        labels: [],
        datasets: [
          { label: 'MAE', data: [], borderColor: COLORS.mae, backgroundColor: COLORS.mae, pointRadius: 2, spanGaps: true },
          { label: 'RMSE', data: [], borderColor: COLORS.rmse, backgroundColor: COLORS.rmse, pointRadius: 2, spanGaps: true },
        ],
      },
      options: { ...common, scales: { y: { beginAtZero: true } } },
    }),
    scatter: new Chart(document.getElementById('scatter'), {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'rows', data: [], backgroundColor: COLORS.points, pointRadius: 2 },
          { label: 'y = x', data: [], type: 'line', borderColor: COLORS.line, borderDash: [6, 4], pointRadius: 0, borderWidth: 1 },
        ],
      },
      options: {
        ...common,
        scales: { x: { title: { display: true, text: 'actual (y_true)' } }, y: { title: { display: true, text: 'predicted (y_pred)' } } },
      },
    }),
  };
}

function render(charts, { metrics, histogram, rows, alerts }) {
  for (const [name, figure] of Object.entries(kpiFigures(metrics))) {
    const element = document.querySelector(`[data-kpi="${name}"]`);
    if (element === null) continue;
    element.textContent = figure.text;
    element.dataset.value = JSON.stringify(figure.value);
  }

  const bars = histogramBars(histogram);
  charts.histogram.data.labels = bars.labels;
  charts.histogram.data.datasets[0].data = bars.counts;
  charts.histogram.update('none');
  document.getElementById('histogram-note').textContent =
    histogram === null
      ? 'no histogram yet (plot writes it each minute)'
      : `${histogram.rows} rows, 20 bins, as error_distribution.png (${clock(histogram.updated_at)})`;

  const series = minuteSeries(metrics);
  charts.minutes.data.labels = series.labels;
  charts.minutes.data.datasets[0].data = series.mae;
  charts.minutes.data.datasets[1].data = series.rmse;
  charts.minutes.update('none');
  document.getElementById('minutes-note').textContent = `${series.labels.length} minutes with rows in the last ${MINUTES_SHOWN / 60} hours`;

  const scatter = scatterPoints(rows);
  charts.scatter.data.datasets[0].data = scatter.points;
  charts.scatter.data.datasets[1].data = scatter.line;
  charts.scatter.update('none');
  document.getElementById('scatter-note').textContent = `the latest ${scatter.points.length} rows of metric_log.csv`;

  const body = document.querySelector('#models tbody');
  body.replaceChildren(
    ...modelRows(metrics).map((cells) => {
      const row = document.createElement('tr');
      row.dataset.model = cells[0];
      row.append(
        ...cells.map((text) => {
          const cell = document.createElement('td');
          cell.textContent = text;
          return cell;
        }),
      );
      return row;
    }),
  );

  document.getElementById('alerts').replaceChildren(
    ...alertLines(alerts).map((line) => {
      const element = document.createElement('div');
      element.className = 'alert';
      element.dataset.alert = '';
      element.textContent = line;
      return element;
    }),
  );
}

export async function start() {
  const charts = makeCharts(globalThis.Chart);
  const status = document.getElementById('status');
  const refresh = async () => {
    try {
      const [metrics, histogram, rows, alerts] = await Promise.all(
        ['metrics.json', 'histogram.json', 'rows.json', 'alerts.json'].map((path) => getJson(`./${path}`)),
      );
      render(charts, { metrics, histogram, rows, alerts });
      status.textContent = `metrics.json of ${clock(metrics.updated_at)} · refreshed ${clock(new Date().toISOString())} · every ${REFRESH_MS / 1000} s`;
      document.body.dataset.updatedAt = metrics.updated_at;
    } catch (error) {
      status.textContent = `not updated: ${error.message} (trying again in ${REFRESH_MS / 1000} s)`;
    }
  };
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

if (typeof document !== 'undefined') start();
