/** Reference rows from the diabetes set and the committed model, as the API takes them and as a CSV file holds them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_NAMES, parseDataset } from '../../functions/commons/model/dataset.js';
import { assertModel, predict } from '../../functions/commons/model/linearModel.js';
import modelArtefact from '../../functions/commons/model/model.json';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';

export interface ReferenceItem {
  id: string;
  features: Record<string, number | string>;
  y_pred: number;
  y_true: number;
}

/** The first `count` rows, each with the ten features and, when `category`, a `region` that is a category's name. */
export function referenceItems(count: number, category = false): ReferenceItem[] {
  const model = assertModel(modelArtefact);
  const rows = parseDataset(readFileSync(join(PROJECT_DIR, 'functions/commons/model/diabetes.csv'), 'utf8')).slice(0, count);
  return rows.map((row, i) => ({
    id: `r${i}`,
    features: {
      ...Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, row.features[j] as number])),
      ...(category ? { region: i % 2 === 0 ? 'north' : 'south' } : {}),
    },
    y_pred: predict(model, row.features),
    y_true: row.target,
  }));
}

/** The items as a reference CSV: `id,<features…>,y_pred,y_true`. */
export function referenceCsv(items: readonly ReferenceItem[]): string {
  const names = Object.keys(items[0]?.features ?? {});
  const lines = items.map((item) => [item.id, ...names.map((name) => item.features[name]), item.y_pred, item.y_true].join(','));
  return `${['id', ...names, 'y_pred', 'y_true'].join(',')}\n${lines.join('\n')}\n`;
}
