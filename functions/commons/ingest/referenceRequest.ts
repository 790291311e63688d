/**
 * `PUT /references/{model}`'s request rules, pure: a model version's reference rows as
 * JSON, `{"rows": [{"id", "features": {name: number or category}, "y_pred", "y_true"}, …]}`,
 * under the same body rules and limits as the ingestion routes (jsonBody.ts) and, like
 * them, all or nothing: one bad row refuses the request, each bad row named by its index.
 * The handler (functions/ingest.ts) builds the reference (drift/modelReference.ts) and
 * stores it; `npm run reference` takes the same rows from a CSV file.
 */
import { MIN_REFERENCE_ROWS, type ModelReference, type ReferenceRow, referenceKey } from '../drift/modelReference.js';
import { checkMessage, ModelVersion } from '../messaging/messageSchemas.js';
import { INGEST_LIMITS } from './ingestLimits.js';
import type { IngestError } from './ingestRequest.js';
import { type IngestHttpRequest, readJsonBody, typeOf } from './jsonBody.js';

export type ReferenceDecision =
  | { readonly ok: true; readonly model: string; readonly rows: ReferenceRow[] }
  | { readonly ok: false; readonly status: 400 | 413 | 415; readonly errors: IngestError[] };

/** What an upload answers (201) and `npm run reference` prints. */
export interface ReferenceSummary {
  readonly model: string;
  readonly key: string;
  readonly rows: number;
  /** The numeric features the reference summarises and the loss model takes. */
  readonly features: readonly string[];
  /** Features left out: a category, or missing, in some row. */
  readonly skipped: readonly string[];
  /** The category features. */
  readonly categories: readonly string[];
  readonly mae: number;
}

const ROW_FIELDS = ['id', 'features', 'y_pred', 'y_true'];

/** The model version's name by the rule predictions' `model` follows, or the reason it breaks it. */
export function checkModelName(model: string | undefined): { ok: true; model: string } | { ok: false; reason: string } {
  const checked = checkMessage(ModelVersion, model ?? '');
  return checked.ok ? { ok: true, model: checked.value } : { ok: false, reason: checked.reason.replaceAll('message: ', '') };
}

/** Reads a request for `model`'s reference into its rows, or says why not. */
export function readReferenceRequest(model: string | undefined, request: IngestHttpRequest): ReferenceDecision {
  const name = checkModelName(model);
  if (!name.ok) return refuse(400, `the model version in the path: ${name.reason}`);
  const body = readJsonBody(request, `send {"rows": [...]} with ${MIN_REFERENCE_ROWS} to ${INGEST_LIMITS.items} rows`);
  if (!body.ok) return refuse(body.status, body.reason);
  const rows = (body.json as { rows?: unknown } | null)?.rows;
  if (typeOf(body.json) !== 'an object' || !Array.isArray(rows)) {
    return refuse(
      400,
      `the body must be a JSON object {"rows": [...]}, not ${typeOf(body.json)}${typeOf(body.json) === 'an object' ? ' without a rows array' : ''}`,
    );
  }
  if (rows.length > INGEST_LIMITS.items) return refuse(413, `${rows.length} rows, over the limit of ${INGEST_LIMITS.items} per request`);
  if (rows.length < MIN_REFERENCE_ROWS) return refuse(400, `${rows.length} rows: a reference needs at least ${MIN_REFERENCE_ROWS}`);
  const checked: ReferenceRow[] = [];
  const errors: IngestError[] = [];
  rows.forEach((row, index) => {
    const one = checkReferenceRow(row);
    if (typeof one === 'string') errors.push({ index, reason: one });
    else checked.push(one);
  });
  return errors.length === 0 ? { ok: true, model: name.model, rows: checked } : { ok: false, status: 400, errors };
}

/** One row, or the reason (every bad field named) it is refused. */
export function checkReferenceRow(row: unknown): ReferenceRow | string {
  if (typeOf(row) !== 'an object') return `a row must be an object {"id", "features", "y_pred", "y_true"}, not ${typeOf(row)}`;
  const fields = row as Record<string, unknown>;
  const reasons: string[] = [];
  if (typeof fields.id !== 'string' && typeof fields.id !== 'number')
    reasons.push(`id must be a string or a number, not ${typeOf(fields.id)}`);
  for (const field of ['y_pred', 'y_true'] as const) {
    const value = fields[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) reasons.push(`${field} must be a finite number, not ${typeOf(value)}`);
  }
  const features = fields.features;
  if (typeOf(features) !== 'an object')
    reasons.push(`features must be an object of names to numbers or category names, not ${typeOf(features)}`);
  else {
    for (const [name, value] of Object.entries(features as Record<string, unknown>)) {
      const ok = (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value !== '');
      if (!ok) reasons.push(`features.${name} must be a finite number or a category name, not ${typeOf(value)}`);
    }
  }
  for (const field of Object.keys(fields).filter((field) => !ROW_FIELDS.includes(field))) {
    reasons.push(`unknown field ${JSON.stringify(field)} (a row has id, features, y_pred and y_true)`);
  }
  if (reasons.length > 0) return reasons.join('; ');
  return {
    features: features as ReferenceRow['features'],
    yPred: fields.y_pred as number,
    yTrue: fields.y_true as number,
  };
}

export function referenceSummary(
  reference: Pick<ModelReference, 'model' | 'rows' | 'feature_names' | 'mae' | 'categories'>,
  skipped: readonly string[],
): ReferenceSummary {
  return {
    model: reference.model,
    key: referenceKey(reference.model),
    rows: reference.rows,
    features: reference.feature_names,
    categories: Object.keys(reference.categories ?? {}),
    skipped,
    mae: reference.mae,
  };
}

/** The summary as one line: `npm run reference`'s output. */
export function formatReferenceSummary(summary: ReferenceSummary, where: string): string {
  const list = (names: readonly string[]) => (names.length === 0 ? '' : ` (${names.join(', ')})`);
  return (
    `reference of ${summary.model} (${summary.key}): ${summary.rows} rows, ${summary.features.length} features${list(summary.features)}, ` +
    `${summary.categories.length} categories${list(summary.categories)}, ${summary.skipped.length} skipped as missing somewhere${list(summary.skipped)}, ` +
    `MAE ${summary.mae.toFixed(3)}, ${where}`
  );
}

function refuse(status: 400 | 413 | 415, reason: string): ReferenceDecision {
  return { ok: false, status, errors: [{ reason }] };
}
