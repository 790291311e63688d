/** bench/pipeline.ts: the check of metric_log.csv against what was emitted. */
import { describe, expect, it } from 'vitest';
import { checkMetricLog } from '../../../bench/pipeline.js';
import { formatMetricRow, METRIC_LOG_HEADER, metricRow } from '../../../functions/commons/logs/rowFormat.js';

const ids = ['1795680657123-9f3a1c2e-0001', '1795680657123-9f3a1c2e-0002', '1795680657123-9f3a1c2e-0003'];
const emitted = new Map(ids.map((id) => [id, 1_795_680_657_123]));
const log = (rowIds: readonly string[]) =>
  `${[METRIC_LOG_HEADER, ...rowIds.map((id) => formatMetricRow(metricRow(id, 100, 90)))].join('\n')}\n`;

describe('checkMetricLog', () => {
  it('finds nothing wrong when every emitted id is one row', () => {
    expect(checkMetricLog(log(ids), emitted)).toEqual({ rows: 3, distinctIds: 3, missing: 0, doubled: 0, unexpected: 0 });
  });

  it('counts missing, doubled and unexpected rows', () => {
    const text = log([ids[0] as string, ids[0] as string, '1795680657999-00000000-0001']);

    expect(checkMetricLog(text, emitted)).toEqual({ rows: 3, distinctIds: 2, missing: 2, doubled: 1, unexpected: 1 });
  });

  it('counts every id missing from an empty log', () => {
    expect(checkMetricLog('', emitted)).toEqual({ rows: 0, distinctIds: 0, missing: 3, doubled: 0, unexpected: 0 });
  });
});
