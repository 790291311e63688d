/**
 * The dashboard's script, run by the browser as a module (served as /dashboard.js):
 * every REFRESH_MS it reads metrics.json, histogram.json, rows.json, alerts.json and
 * drift.json from the same API and updates the figures, the charts (Chart.js, served as
 * /chart.umd.js) and the tables in place, without reloading the page. The time range
 * picker redraws the charts over time from the documents already read. The functions
 * it exports are pure (unit-tested); `start` runs only in a browser. Every text that
 * comes from a document (model and feature names and segment values are the user's) is
 * set as textContent or drawn on a canvas, never parsed as HTML.
 */

export const REFRESH_MS = 5_000;
/**
 * The time range picker's choices: the last `ms` before metrics.json's updated_at, from
 * its minutes (kept for a day) or its hours (kept for 30 days).
 */
export const RANGES = {
  '1h': { label: '1 h', ms: 3_600_000, periods: 'minutes' },
  '6h': { label: '6 h', ms: 6 * 3_600_000, periods: 'minutes' },
  '24h': { label: '24 h', ms: 24 * 3_600_000, periods: 'minutes' },
  '7d': { label: '7 d', ms: 7 * 86_400_000, periods: 'hours' },
  '30d': { label: '30 d', ms: 30 * 86_400_000, periods: 'hours' },
};
export const DEFAULT_RANGE = '6h';
const NONE = '—';

/** Two decimals, as the figures of errors are shown; a dash for null. */
export function fixed2(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : NONE;
}

export function count(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : NONE;
}

/** A count in a sentence, grouped by thousands (a fixed locale, so it reads the same everywhere): "1,024". */
export function grouped(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toLocaleString('en-US') : NONE;
}

/** Names in a stable order, whatever the locale (not localeCompare): ties of the orders below. */
function byName(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A fraction as a percentage with one decimal: 0.9912 → "99.1 %". */
export function percent(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(1)} %` : NONE;
}

/** Three decimals, for R² (a fraction near 1, where the third decimal still tells). */
export function fixed3(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(3) : NONE;
}

/**
 * Three significant digits, for drift figures whose scale varies by test: a KS p-value
 * of 1.2e-9 and a Wasserstein distance of 12.3 both stay readable.
 */
export function significant3(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toPrecision(3))) : NONE;
}

/** The KPI figures of a metrics.json document: name → { value (as in the document), text (as shown) }. */
export function kpiFigures(metrics) {
  const totals = metrics.totals ?? {};
  const lastMinute = [...(metrics.minutes ?? [])].reverse().find((minute) => minute.n > 0);
  return {
    rows: { value: totals.n ?? 0, text: count(totals.n ?? 0) },
    mae: { value: totals.mae ?? null, text: fixed2(totals.mae) },
    estimated_mae: { value: totals.estimated_mae ?? null, text: fixed2(totals.estimated_mae) },
    rmse: { value: totals.rmse ?? null, text: fixed2(totals.rmse) },
    r2: { value: totals.r2 ?? null, text: fixed3(totals.r2) },
    mape: { value: totals.mape ?? null, text: percent(totals.mape) },
    abs_error_p90: { value: totals.abs_error_p90 ?? null, text: fixed2(totals.abs_error_p90) },
    bias: { value: totals.bias ?? null, text: fixed2(totals.bias) },
    label_coverage: { value: metrics.label_coverage ?? null, text: percent(metrics.label_coverage) },
    unlabelled: { value: totals.unlabelled ?? null, text: count(totals.unlabelled) },
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

/** "27 Nov, 14:00": an hour's label, where a clock alone would repeat across days. */
export function dayHour(iso) {
  return new Date(iso).toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** The range named `name`, or the default one for a name that is none (a stale link). */
export function rangeOf(name) {
  return Object.hasOwn(RANGES, name) ? RANGES[name] : RANGES[DEFAULT_RANGE];
}

/**
 * The periods of `list` (minutes or hours of metrics.json) that start within `range`
 * before `updatedAt` and hold a row or an estimate, oldest first, with their labels.
 */
function periodsIn(list, range, updatedAt) {
  const end = Date.parse(updatedAt ?? '') || Date.now();
  const label = range.periods === 'hours' ? dayHour : clock;
  return (list ?? [])
    .filter((period) => (period.n > 0 || period.estimated_n > 0) && Date.parse(period.start) > end - range.ms)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
    .map((period) => ({ ...period, label: label(period.start) }));
}

/** The periods with rows in the range: labels, MAE and RMSE. */
export function errorSeries(metrics, rangeName = DEFAULT_RANGE) {
  const range = rangeOf(rangeName);
  const shown = periodsIn(metrics[range.periods], range, metrics.updated_at).filter((period) => period.n > 0);
  return { labels: shown.map((period) => period.label), mae: shown.map((period) => period.mae), rmse: shown.map((period) => period.rmse) };
}

/**
 * Estimated against realised MAE in the range: every period with a row or an
 * estimate, so the estimate shows before labels arrive (realised null there).
 */
export function estimateSeries(metrics, rangeName = DEFAULT_RANGE) {
  const range = rangeOf(rangeName);
  const shown = periodsIn(metrics[range.periods], range, metrics.updated_at);
  return {
    labels: shown.map((period) => period.label),
    realised: shown.map((period) => period.mae ?? null),
    estimated: shown.map((period) => period.estimated_mae ?? null),
  };
}

/** The model versions, most rows first (then by name, so colours stay put between refreshes). */
export function versionOrder(metrics) {
  return Object.entries(metrics.models ?? {})
    .sort(([nameA, a], [nameB, b]) => b.n - a.n || byName(nameA, nameB))
    .map(([version]) => version);
}

/**
 * Each version's MAE per period in the range, on one time axis: the labels are every
 * period in which any version has rows; a version without rows in one has null there.
 */
export function versionSeries(metrics, rangeName = DEFAULT_RANGE) {
  const range = rangeOf(rangeName);
  const perVersion = metrics[range.periods === 'hours' ? 'models_hours' : 'models_minutes'] ?? {};
  const periods = new Map();
  const byVersion = versionOrder(metrics).map((version) => {
    const shown = periodsIn(perVersion[version], range, metrics.updated_at).filter((period) => period.n > 0);
    for (const period of shown) periods.set(period.start, period.label);
    return { version, mae: new Map(shown.map((period) => [period.start, period.mae])) };
  });
  const starts = [...periods.keys()].sort((a, b) => Date.parse(a) - Date.parse(b));
  return {
    labels: starts.map((start) => periods.get(start)),
    versions: byVersion
      .filter(({ mae }) => mae.size > 0)
      .map(({ version, mae }) => ({ version, mae: starts.map((start) => mae.get(start) ?? null) })),
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

/** The scatter's name for rows without a model version: no version can be called so (messageSchemas.ts). */
export const NO_VERSION = '(no version)';

/**
 * The scatter's points, one group per model version (in `order`, then any other;
 * rows without a version last), and the y = x line over both axes' range.
 */
export function scatterPoints(rows, order = []) {
  const trueValues = rows?.y_true ?? [];
  const predicted = rows?.y_pred ?? [];
  const models = rows?.model ?? [];
  const groups = new Map(order.map((version) => [version, []]));
  trueValues.forEach((x, i) => {
    const version = models[i] || NO_VERSION;
    if (!groups.has(version)) groups.set(version, []);
    groups.get(version).push({ x, y: predicted[i] });
  });
  const versions = [...groups]
    .filter(([, points]) => points.length > 0)
    .sort(([a], [b]) => (a === NO_VERSION) - (b === NO_VERSION))
    .map(([version, points]) => ({ version, points }));
  if (trueValues.length === 0) return { versions, line: [] };
  const all = [...trueValues, ...predicted];
  const low = Math.min(...all);
  const high = Math.max(...all);
  return {
    versions,
    line: [
      { x: low, y: low },
      { x: high, y: high },
    ],
  };
}

/** The model table's rows, most rows first. */
export function modelRows(metrics) {
  const models = metrics.models ?? {};
  return versionOrder(metrics).map((version) => {
    const summary = models[version];
    return [
      version,
      count(summary.n),
      fixed2(summary.mae),
      fixed2(summary.estimated_mae),
      fixed2(summary.rmse),
      fixed3(summary.r2),
      percent(summary.mape),
      fixed2(summary.bias),
      fixed2(summary.abs_error_p90),
    ];
  });
}

/**
 * What the segments panel says when metrics.json has none (SEGMENT_BY off, an older
 * document, or no row in any segment yet): how to have them.
 */
export const NO_SEGMENTS =
  'no segments: start with SEGMENT_BY set to give every figure per segment too, e.g. SEGMENT_BY=sex,age:4 npm start ' +
  "(sex by its values, age cut at its reference's quartiles)";
/** Longer segment values are cut to this many characters under the chart's bars (the table's cell and its title hold them whole). */
const BAR_LABEL_LENGTH = 16;

/**
 * The segments panel of metrics.json for one SEGMENT_BY rule (the chosen one if it is
 * there, else the worst segment's, else the first): a line naming the worst segment of
 * all rules, and one row per segment, highest MAE first (segments with no labelled row,
 * so no MAE, last). `rules` empty when there are no segments.
 */
export function segmentView(metrics, chosen) {
  const segments = metrics?.segments ?? {};
  const rules = Object.keys(segments).filter((rule) => Object.keys(segments[rule] ?? {}).length > 0);
  const worst = metrics?.worst_segment ?? null;
  const rule = rules.includes(chosen) ? chosen : rules.includes(worst?.by) ? worst.by : rules[0];
  if (rule === undefined) return { rules, rule: undefined, summary: NO_SEGMENTS, rows: [] };
  const mae = (figures) => (typeof figures.mae === 'number' ? figures.mae : Number.NEGATIVE_INFINITY);
  const rows = Object.entries(segments[rule])
    // Two missing MAEs differ by NaN, which is falsy: then the most rows, then the name.
    .sort(([nameA, a], [nameB, b]) => mae(b) - mae(a) || (b.n ?? 0) - (a.n ?? 0) || byName(nameA, nameB))
    .map(([segment, figures]) => ({
      segment,
      label: segment.length > BAR_LABEL_LENGTH ? `${segment.slice(0, BAR_LABEL_LENGTH - 1)}…` : segment,
      mae: figures.mae ?? null,
      worst: worst?.by === rule && worst.segment === segment,
      cells: [
        segment,
        count(figures.n),
        fixed2(figures.mae),
        fixed2(figures.estimated_mae),
        fixed2(figures.rmse),
        fixed3(figures.r2),
        percent(figures.mape),
        count(figures.unlabelled),
      ],
    }));
  const summary =
    worst === null
      ? 'no worst segment yet: no segment has enough labelled rows to be named'
      : `worst segment: ${worst.by} = ${worst.segment}, MAE ${fixed2(worst.mae)} over ${grouped(worst.n)} rows`;
  return { rules, rule, summary, rows };
}

const PREDICTION_KEY = 'prediction';

/** What each drift test's figure is called, and which side of the threshold drifts. */
const DRIFT_TESTS = {
  ks: { figure: 'ks_p_value', name: 'KS p-value', drifts: '≤' },
  wasserstein: { figure: 'wasserstein', name: 'Wasserstein', drifts: '≥' },
  psi: { figure: 'psi', name: 'PSI', drifts: '≥' },
  chisquare: { figure: 'chi_square_p_value', name: 'χ² p-value', drifts: '≤' },
  jensenshannon: { figure: 'jensen_shannon', name: 'Jensen–Shannon', drifts: '≥' },
};

/**
 * The drift panel of drift.json for one model version (the chosen one if it is there,
 * else the one with most rows): a line that sums it up, one row per feature and one for
 * the prediction, each figure of the version's test against its threshold. `versions`
 * empty when there are no drift figures (no drift.json, or no reference yet).
 */
export function driftView(drift, chosen) {
  const models = drift?.models ?? {};
  const versions = Object.keys(models).sort((a, b) => (models[b].rows ?? 0) - (models[a].rows ?? 0) || byName(a, b));
  const version = versions.includes(chosen) ? chosen : versions[0];
  if (version === undefined) return { versions, version: undefined, summary: 'no reference / no drift figures yet', rows: [] };
  const model = models[version];
  // A category feature's entry names its own test and threshold; a number's are the version's.
  const testOf = (entry) => {
    const name = entry.test ?? model.test;
    return Object.hasOwn(DRIFT_TESTS, name) ? DRIFT_TESTS[name] : DRIFT_TESTS.ks;
  };
  // A key apart from the name: a feature may well be called "prediction".
  const row = (name, key, entry) => {
    const test = testOf(entry);
    return {
      name,
      key,
      test: test.name,
      value: entry[test.figure] ?? null,
      text: significant3(entry[test.figure]),
      threshold: `${test.drifts} ${significant3(entry.threshold ?? model.threshold)}`,
      drifted: entry.drifted === true,
      verdict: entry.drifted === true ? 'drifted' : 'ok',
    };
  };
  const features = Object.entries(model.features ?? {}).map(([name, entry]) => row(name, `feature:${name}`, entry));
  const rows = model.prediction === undefined ? features : [...features, row('prediction', PREDICTION_KEY, model.prediction)];
  const drifted = model.drifted_features ?? features.filter((feature) => feature.drifted).map((feature) => feature.name);
  const window = drift.window === undefined ? '' : ` over ${drift.window.minutes} min to ${clock(drift.window.to)}`;
  const verdict = model.dataset_drift ? 'dataset drift' : 'no dataset drift';
  return {
    versions,
    version,
    summary:
      `${drifted.length} of ${features.length} features drifted (share ${percent(model.drift_share)}, ` +
      `dataset drift at ${percent(drift.drift_share_threshold)}): ${verdict}; ` +
      `${count(model.rows)} rows${window} against ${count(model.reference_rows)} reference rows`,
    rows,
  };
}

/**
 * The reference and current shares of one row of driftView (`key`: a feature's or the
 * prediction's) for drift.json's model `version`, by the reference's deciles (a category feature's by its categories):
 * "< e0", "e0–e1", …, "≥ e8".
 */
export function distributionBars(drift, version, key) {
  const model = drift?.models?.[version];
  const feature = typeof key === 'string' && key.startsWith('feature:') ? key.slice('feature:'.length) : undefined;
  const features = model?.features ?? {};
  const entry = key === PREDICTION_KEY ? model?.prediction : Object.hasOwn(features, feature) ? features[feature] : undefined;
  if (entry === undefined) return { labels: [], reference: [], current: [] };
  // A category feature's bars are its categories.
  if (Array.isArray(entry.categories))
    return { labels: [...entry.categories], reference: [...(entry.reference_shares ?? [])], current: [...(entry.current_shares ?? [])] };
  const edges = (entry.decile_edges ?? []).map(significant3);
  const labels = (entry.reference_shares ?? []).map((_, i) =>
    i === 0 ? `< ${edges[0]}` : i === edges.length ? `≥ ${edges[i - 1]}` : `${edges[i - 1]}–${edges[i]}`,
  );
  return { labels, reference: [...(entry.reference_shares ?? [])], current: [...(entry.current_shares ?? [])] };
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

const COLORS = {
  bars: 'rgba(31, 119, 180, 0.85)',
  mae: '#1f77b4',
  rmse: '#d62728',
  estimated: '#ff7f0e',
  line: '#444444',
  reference: 'rgba(127, 127, 127, 0.6)',
  current: 'rgba(31, 119, 180, 0.85)',
  worst: 'rgba(180, 35, 24, 0.85)',
};
/** One colour per model version, in versionOrder, the same on every chart (Tableau 10). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

const COMMON = { responsive: true, maintainAspectRatio: false, animation: false };

function lineChart(Chart, id, yTitle) {
  return new Chart(document.getElementById(id), {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: { ...COMMON, scales: { y: { beginAtZero: true, title: { display: yTitle !== undefined, text: yTitle } } } },
  });
}

function line(label, data, color, extra = {}) {
  return { label, data, borderColor: color, backgroundColor: color, pointRadius: 2, spanGaps: true, ...extra };
}

function makeCharts(Chart) {
  const bars = { borderColor: '#000', borderWidth: 1, barPercentage: 1, categoryPercentage: 1 };
  return {
    histogram: new Chart(document.getElementById('histogram'), {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'rows', data: [], backgroundColor: COLORS.bars, ...bars }] },
      options: {
        ...COMMON,
        plugins: { legend: { display: false } },
        scales: {
          x: { title: { display: true, text: '|error|' } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'rows' } },
        },
      },
    }),
    minutes: lineChart(Chart, 'minutes'),
    estimated: lineChart(Chart, 'estimated', 'MAE'),
    versions: lineChart(Chart, 'versions', 'MAE'),
    scatter: new Chart(document.getElementById('scatter'), {
      type: 'scatter',
      data: { datasets: [] },
      options: {
        ...COMMON,
        scales: { x: { title: { display: true, text: 'actual (y_true)' } }, y: { title: { display: true, text: 'predicted (y_pred)' } } },
      },
    }),
    distribution: new Chart(document.getElementById('distribution'), {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          { label: 'reference', data: [], backgroundColor: COLORS.reference },
          { label: 'current', data: [], backgroundColor: COLORS.current },
        ],
      },
      options: {
        ...COMMON,
        scales: {
          x: { title: { display: true, text: "the reference's deciles" } },
          y: { beginAtZero: true, title: { display: true, text: 'share of rows' } },
        },
      },
    }),
    segments: new Chart(document.getElementById('segments-chart'), {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        ...COMMON,
        plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: 'segment' } }, y: { beginAtZero: true, title: { display: true, text: 'MAE' } } },
      },
    }),
  };
}

/** What the viewer chose: the time range, the drift panel's model version and feature, and the segments' rule. */
const choice = { range: DEFAULT_RANGE, driftVersion: undefined, driftFeature: undefined, segmentRule: undefined };

function tableRows(cellsOfRows, mark) {
  return cellsOfRows.map((cells, index) => {
    const row = document.createElement('tr');
    row.append(
      ...cells.map((text) => {
        const cell = document.createElement('td');
        cell.textContent = text;
        return cell;
      }),
    );
    // After the cells, so a mark may set theirs too.
    mark(row, index);
    return row;
  });
}

function setChart(chart, labels, datasets) {
  if (labels !== undefined) chart.data.labels = labels;
  chart.data.datasets = datasets;
  chart.update('none');
}

function renderOverTime(charts, metrics) {
  const range = rangeOf(choice.range);
  const colour = new Map(versionOrder(metrics).map((version, i) => [version, PALETTE[i % PALETTE.length]]));
  const over = `in the last ${range.label}, per ${range.periods === 'hours' ? 'hour' : 'minute'}`;

  const series = errorSeries(metrics, choice.range);
  setChart(charts.minutes, series.labels, [line('MAE', series.mae, COLORS.mae), line('RMSE', series.rmse, COLORS.rmse)]);
  document.getElementById('minutes-note').textContent = `${series.labels.length} periods with rows ${over}`;

  const estimate = estimateSeries(metrics, choice.range);
  setChart(charts.estimated, estimate.labels, [
    line('realised MAE', estimate.realised, COLORS.mae),
    line('estimated MAE', estimate.estimated, COLORS.estimated, { borderDash: [6, 4] }),
  ]);
  const unlabelled = metrics.totals?.unlabelled;
  document.getElementById('estimated-note').textContent =
    `${estimate.labels.length} periods ${over}; the estimate covers every prediction` +
    (typeof unlabelled === 'number' ? `, ${unlabelled} of them still without a label` : '');

  const versions = versionSeries(metrics, choice.range);
  setChart(
    charts.versions,
    versions.labels,
    versions.versions.map(({ version, mae }) => line(version, mae, colour.get(version))),
  );
  document.getElementById('versions-note').textContent = `${versions.versions.length} model versions with rows ${over}`;

  for (const button of document.querySelectorAll('[data-range]'))
    button.setAttribute('aria-pressed', String(button.dataset.range === choice.range));
  return colour;
}

function renderDrift(charts, drift) {
  const view = driftView(drift, choice.driftVersion);
  choice.driftVersion = view.version;
  document.getElementById('drift-summary').textContent = view.summary;
  fillSelect(
    document.getElementById('drift-version'),
    view.versions.map((version) => ({ value: version, text: version })),
    view.version,
  );
  document.querySelector('#drift tbody').replaceChildren(
    ...tableRows(
      view.rows.map((row) => [row.name, row.test, row.text, row.threshold, row.verdict]),
      (element, index) => {
        const row = view.rows[index];
        element.dataset.key = row.key;
        if (row.drifted) element.className = 'drifted';
      },
    ),
  );
  // The chosen feature while it is there; else the first drifted one, which is what a viewer wants to see.
  if (!view.rows.some((row) => row.key === choice.driftFeature))
    choice.driftFeature = (view.rows.find((row) => row.drifted) ?? view.rows[0])?.key;
  fillSelect(
    document.getElementById('drift-feature'),
    view.rows.map((row) => ({ value: row.key, text: row.name })),
    choice.driftFeature,
  );
  const chosen = view.rows.find((row) => row.key === choice.driftFeature);
  const bars = distributionBars(drift, view.version, choice.driftFeature);
  charts.distribution.data.labels = bars.labels;
  charts.distribution.data.datasets[0].data = bars.reference;
  charts.distribution.data.datasets[1].data = bars.current;
  charts.distribution.update('none');
  document.getElementById('distribution-note').textContent =
    chosen === undefined ? 'no reference yet' : `${chosen.name}: share of rows in each decile of the reference, current against reference`;
}

function renderSegments(charts, metrics) {
  const view = segmentView(metrics, choice.segmentRule);
  choice.segmentRule = view.rule;
  document.getElementById('segments-summary').textContent = view.summary;
  // Without segments the panel is its one line (how to have them); a picker of one rule says nothing.
  document.getElementById('segments-body').hidden = view.rule === undefined;
  document.getElementById('segments-picker').hidden = view.rules.length < 2;
  fillSelect(
    document.getElementById('segments-rule'),
    view.rules.map((rule) => ({ value: rule, text: rule })),
    view.rule,
  );
  document.querySelector('#segments tbody').replaceChildren(
    ...tableRows(
      view.rows.map((row) => row.cells),
      (element, index) => {
        const row = view.rows[index];
        element.dataset.segment = row.segment;
        element.cells[0].title = row.segment;
        if (row.worst) element.className = 'worst';
      },
    ),
  );
  setChart(
    charts.segments,
    view.rows.map((row) => row.label),
    [
      {
        label: 'MAE',
        data: view.rows.map((row) => row.mae),
        backgroundColor: view.rows.map((row) => (row.worst ? COLORS.worst : COLORS.bars)),
      },
    ],
  );
}

/**
 * A select's options (built as Option objects, so a name is never HTML), `chosen`
 * selected; left as they are when unchanged, so a refresh does not close an open list.
 */
function fillSelect(select, options, chosen) {
  const same =
    select.options.length === options.length &&
    options.every((option, i) => select.options[i].value === option.value && select.options[i].text === option.text);
  if (!same) select.replaceChildren(...options.map((option) => new Option(option.text, option.value)));
  select.value = chosen ?? '';
  select.disabled = options.length === 0;
}

function render(charts, { metrics, histogram, rows, alerts, drift }) {
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

  const colour = renderOverTime(charts, metrics);

  const scatter = scatterPoints(rows, versionOrder(metrics));
  setChart(charts.scatter, undefined, [
    ...scatter.versions.map(({ version, points }) => ({
      label: version,
      data: points,
      // 0x73: 45 % opaque (#rrggbbaa), so dense clouds of points still show their overlap.
      backgroundColor: `${colour.get(version) ?? COLORS.line}73`,
      pointRadius: 2,
    })),
    { label: 'y = x', data: scatter.line, type: 'line', borderColor: COLORS.line, borderDash: [6, 4], pointRadius: 0, borderWidth: 1 },
  ]);
  const shown = scatter.versions.reduce((sum, group) => sum + group.points.length, 0);
  document.getElementById('scatter-note').textContent = `the latest ${shown} rows of metric_log.csv, coloured by model version`;

  const versions = versionOrder(metrics);
  document.querySelector('#models tbody').replaceChildren(
    ...tableRows(modelRows(metrics), (row, index) => {
      row.dataset.model = versions[index];
    }),
  );

  renderSegments(charts, metrics);
  renderDrift(charts, drift);

  document.getElementById('alerts').replaceChildren(
    ...alertLines(alerts).map((text) => {
      const element = document.createElement('div');
      element.className = 'alert';
      element.dataset.alert = '';
      element.textContent = text;
      return element;
    }),
  );
}

export async function start() {
  const charts = makeCharts(globalThis.Chart);
  const status = document.getElementById('status');
  // The range is kept in the address (#range=7d), so a reload or a shared link keeps it.
  choice.range = Object.hasOwn(RANGES, readHash()) ? readHash() : DEFAULT_RANGE;
  let last;
  const rerender = () => {
    if (last !== undefined) render(charts, last);
  };
  for (const button of document.querySelectorAll('[data-range]')) {
    button.addEventListener('click', () => {
      choice.range = button.dataset.range;
      history.replaceState(null, '', `#range=${choice.range}`);
      rerender();
    });
  }
  document.getElementById('drift-version').addEventListener('change', (event) => {
    choice.driftVersion = event.target.value;
    rerender();
  });
  document.getElementById('drift-feature').addEventListener('change', (event) => {
    choice.driftFeature = event.target.value;
    rerender();
  });
  document.getElementById('segments-rule').addEventListener('change', (event) => {
    choice.segmentRule = event.target.value;
    rerender();
  });
  const refresh = async () => {
    try {
      const [metrics, histogram, rows, alerts, drift] = await Promise.all(
        ['metrics.json', 'histogram.json', 'rows.json', 'alerts.json', 'drift.json'].map((path) => getJson(`./${path}`)),
      );
      last = { metrics, histogram, rows, alerts, drift };
      render(charts, last);
      status.textContent = `metrics.json of ${clock(metrics.updated_at)} · refreshed ${clock(new Date().toISOString())} · every ${REFRESH_MS / 1000} s`;
      document.body.dataset.updatedAt = metrics.updated_at;
    } catch (error) {
      status.textContent = `not updated: ${error.message} (trying again in ${REFRESH_MS / 1000} s)`;
    }
  };
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

function readHash() {
  return new URLSearchParams(location.hash.slice(1)).get('range') ?? '';
}

if (typeof document !== 'undefined') start();
