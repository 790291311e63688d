/**
 * Fitting ordinary least squares with an intercept. Used by `npm run train` and by
 * the test that compares the fit with scikit-learn's; the predictor only loads the
 * result. The solve is a QR decomposition (ml-matrix), which stays accurate where
 * the normal equations would square the condition number.
 */
import { Matrix, solve } from 'ml-matrix';
import type { DataRow } from '../../../functions/commons/model/dataset.js';

export interface OlsFit {
  readonly intercept: number;
  readonly coefficients: number[];
}

export function fitOrdinaryLeastSquares(rows: readonly DataRow[]): OlsFit {
  if (rows.length === 0) throw new Error('cannot fit a model on no rows');
  const design = new Matrix(rows.map((row) => [1, ...row.features]));
  const target = Matrix.columnVector(rows.map((row) => row.target));
  const solution = solve(design, target).to1DArray();
  const [intercept = Number.NaN, ...coefficients] = solution;
  return { intercept, coefficients };
}
