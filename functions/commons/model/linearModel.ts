/**
 * The production model: ordinary least squares with an intercept. Only prediction
 * lives here (it is all the predictor bundles); fitting is in infra/tools/model/ols.ts.
 */
import { createHash } from 'node:crypto';
import { FEATURE_NAMES } from './dataset.js';

export interface LinearModel {
  readonly kind: 'ordinary-least-squares';
  readonly featureNames: readonly string[];
  readonly intercept: number;
  readonly coefficients: readonly number[];
  readonly trainedOn: { readonly file: string; readonly rows: number };
}

export function predict(model: LinearModel, features: readonly number[]): number {
  if (features.length !== model.coefficients.length) {
    throw new Error(`model takes ${model.coefficients.length} features, got ${features.length}`);
  }
  let y = model.intercept;
  for (let i = 0; i < features.length; i++) y += (model.coefficients[i] as number) * (features[i] as number);
  return y;
}

/** Checks a loaded artefact before it serves a single prediction. */
export function assertModel(value: unknown): LinearModel {
  const model = value as Partial<LinearModel>;
  const ok =
    model?.kind === 'ordinary-least-squares' &&
    Number.isFinite(model.intercept) &&
    Array.isArray(model.coefficients) &&
    model.coefficients.length === FEATURE_NAMES.length &&
    model.coefficients.every(Number.isFinite);
  if (!ok) throw new Error('model artefact is not an ordinary-least-squares model over the 10 diabetes features; run `npm run train`');
  return model as LinearModel;
}

/** The artefact's version, as predictions carry it: `ols-` and the first 8 hex digits of its SHA-256. */
export function modelVersion(model: LinearModel): string {
  return `ols-${createHash('sha256').update(JSON.stringify(model)).digest('hex').slice(0, 8)}`;
}
