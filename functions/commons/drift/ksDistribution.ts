/**
 * The p-value of the two-sample Kolmogorov–Smirnov statistic, pure, as
 * scipy.stats.ks_2samp computes it by default (two-sided, method 'auto'): exact when
 * both samples have at most 10,000 values, else the one-sample Kolmogorov
 * distribution of D at the effective size n·m/(n+m) (scipy's kstwo.sf).
 *
 * Ported from scipy 1.17 (`_stats_py.py` `_attempt_exact_2kssamp`,
 * `_compute_prob_outside_square`; `_stats_pythran.py` `_compute_outer_prob_inside_method`;
 * `_ksstats.py` `_kolmogn` after Simard & L'Ecuyer 2011). One deliberate difference:
 * where scipy uses Pomeranz's recursion (n ≤ 140, 0.754693 < n·d² ≤ 4) this uses the
 * Durbin matrix of Marsaglia–Tsang–Wang, which scipy uses beside it: both are exact, so
 * the two agree to rounding, and one exact algorithm is less code to keep than two.
 */

/** Above this many values in either sample scipy's 'auto' leaves the exact method. */
export const MAX_EXACT_SIZE = 10_000;

export interface KsTest {
  /** The statistic as scipy returns it: on the exact path, rounded to the lattice h / lcm(n1, n2). */
  readonly statistic: number;
  readonly pValue: number;
}

/** The two-sided p-value of D = `statistic` between samples of `n1` and `n2` values. */
export function ksTwoSamplePValue(statistic: number, n1: number, n2: number): KsTest {
  if (n1 < 1 || n2 < 1) throw new RangeError('ks_2samp needs two non-empty samples');
  if (Math.max(n1, n2) <= MAX_EXACT_SIZE) {
    const exact = exactPValue(n1, n2, statistic);
    if (exact !== undefined) return exact;
  }
  // Smirnov's asymptotic: the one-sample distribution at n·m/(n+m), rounded as numpy rounds.
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const effective = roundHalfEven((m * n) / (m + n));
  return { statistic, pValue: clip(kolmogorovSf(effective, statistic)) };
}

/** Exact p-value, or undefined where scipy's exact path gives up (it then warns and goes asymptotic). */
function exactPValue(n1: number, n2: number, d: number): KsTest | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pValue: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideInside(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return undefined;
  return { statistic, pValue: p };
}

/** Pr(D_{n,n} ≥ h/n): Hodges' alternating sum, evaluated Horner-like as scipy does. */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * The share of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm,
 * by Viehmann's recursion for 1 − p (scipy's `_compute_outer_prob_inside_method`): one
 * sliding column, every entry a probability, so nothing overflows.
 */
function probOutsideInside(first: number, second: number, g: number, h: number): number {
  const [m, n] = first >= second ? [first, second] : [second, first];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const a = new Float64Array(Math.min(2 * maxj + 2, n + 1)).fill(1);
  a.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((a[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) a.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return a[maxj - minj - 1] as number;
}

/** Pr(D_n ≥ x) of the one-sample two-sided statistic (scipy's kstwo.sf), by Simard & L'Ecuyer's choice of method. */
export function kolmogorovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben–Gambino: below 1/(2n) D_n cannot fall; up to 1/n the CDF is n!/nⁿ (2t − 1)ⁿ.
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= i * (1 / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - cdf);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 4) return clip(1 - durbinCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

/**
 * Pr(D⁺_n ≥ x), the one-sided statistic (scipy.special.smirnov), by the exact
 * Smirnov–Birnbaum–Tingey sum; every term is positive, so it is summed in logs with
 * no cancellation. Above x = 1/2 twice this is the two-sided tail exactly; below, the
 * two-sided tail differs from it only by terms smaller than the precision kept.
 */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const last = Math.floor(n * (1 - x));
  const logs = new Float64Array(last + 1);
  let logBinomial = 0;
  let largest = Number.NEGATIVE_INFINITY;
  for (let j = 0; j <= last; j++) {
    if (j > 0) logBinomial += Math.log((n - j + 1) / j);
    // The last term is 0 when n(1 − x) is a whole number (rounding may take it a hair below).
    const rest = 1 - x - j / n;
    const term = rest <= 0 ? Number.NEGATIVE_INFINITY : logBinomial + (n - j) * Math.log(rest) + (j - 1) * Math.log(x + j / n);
    logs[j] = term;
    if (term > largest) largest = term;
  }
  if (largest === Number.NEGATIVE_INFINITY) return 0;
  let sum = 0;
  for (const term of logs) sum += Math.exp(term - largest);
  return clip(x * Math.exp(largest) * sum);
}

const SCALE_EXPONENT = 128;
const BIG = 2 ** SCALE_EXPONENT;
const SMALL = 2 ** -SCALE_EXPONENT;

/** Pr(D_n ≤ d) by Durbin's matrix, as Marsaglia, Tsang & Wang evaluate it (exact; scipy's `_kolmogn_DMTW`). */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factor = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factor;
    factor /= j;
    v[j - 1] = (1 - h ** j) * factor;
  }
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * factor;
  let matrix: Float64Array[] = Array.from({ length: m }, () => new Float64Array(m));
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) (matrix[r] as Float64Array)[i] = w[r - i + 1] as number;
  for (let r = 0; r < m; r++) (matrix[r] as Float64Array)[0] = v[r] as number;
  for (let c = 0; c < m; c++) (matrix[m - 1] as Float64Array)[c] = v[m - 1 - c] as number;

  let power: Float64Array[] = Array.from({ length: m }, (_, r) => {
    const row = new Float64Array(m);
    row[r] = 1;
    return row;
  });
  let exponent = 0;
  let matrixExponent = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) {
      power = multiply(power, matrix);
      exponent += matrixExponent;
    }
    matrix = multiply(matrix, matrix);
    matrixExponent *= 2;
    if (Math.abs((matrix[k - 1] as Float64Array)[k - 1] as number) > BIG) {
      for (const row of matrix) for (let c = 0; c < m; c++) row[c] = (row[c] as number) / BIG;
      matrixExponent += SCALE_EXPONENT;
    }
  }
  let p = (power[k - 1] as Float64Array)[k - 1] as number;
  // Times n!/nⁿ, rescaled as it shrinks.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < SMALL) {
      p *= BIG;
      exponent -= SCALE_EXPONENT;
    }
  }
  return clip(ldexp(p, exponent));
}

function multiply(a: readonly Float64Array[], b: readonly Float64Array[]): Float64Array[] {
  const size = a.length;
  return a.map((row) => {
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const factor = row[i] as number;
      if (factor === 0) continue;
      const other = b[i] as Float64Array;
      for (let c = 0; c < size; c++) out[c] = (out[c] as number) + factor * (other[c] as number);
    }
    return out;
  });
}

const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Pelz & Good's expansion of Pr(D_n ≤ x) for small x and large n (scipy's `_kolmogn_PelzGood`). */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const [z2, z3, z4, z6] = [z ** 2, z ** 3, z ** 4, z ** 6];
  const qLog = -PI2 / 8 / z2;
  if (qLog < -708) return 0;
  const q = Math.exp(qLog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const terms = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  // Horner over the odd integers: Σ c_i q^(i²).
  for (let k = maxK; k > 0; k--) {
    const m = 2 * k - 1;
    const [m2, m4, m6] = [m ** 2, m ** 4, m ** 6];
    const qPower = q ** (8 * k);
    const coefficients = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) terms[i] = (terms[i] as number) * qPower + (coefficients[i] as number);
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) terms[i] = ((terms[i] as number) * q * SQRT_2PI) / (divisors[i] as number);
  // The sums over all integers k that K₂ and K₃ also carry.
  const qAll = Math.exp(-PI2 / 2 / z2);
  let k2Extra = 0;
  let k3Extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxK; k > 0; k--) {
    const k2 = k * k;
    const qPower = qAll ** k2;
    k2Extra += k2 * qPower;
    k3Extra += (sqrt3z + Math.PI * k) * (sqrt3z - Math.PI * k) * k2 * qPower;
  }
  terms[2] = (terms[2] as number) + (k2Extra * PI2 * SQRT_2PI) / (-36 * z3);
  terms[3] = (terms[3] as number) + (k3Extra * PI2 * SQRT_2PI) / (216 * z6);
  let cdf = 0;
  for (let i = 0; i < 4; i++) cdf += (terms[i] as number) / n ** (i / 2);
  return clip(cdf);
}

/** Bernoulli-number Stirling coefficients B_2j/(2j)/(2j−1), j = 8 … 1, as scipy lists them. */
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];

/** log(n!/nⁿ) by Stirling's series, with n·log n taken out first so nothing cancels. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const x = rn / n;
  const series = STIRLING.reduce((acc, c) => acc * x + c, 0);
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * series;
}

function ldexp(value: number, exponent: number): number {
  let result = value;
  let rest = exponent;
  while (rest > 1000) {
    result *= 2 ** 1000;
    rest -= 1000;
  }
  while (rest < -1000) {
    result *= 2 ** -1000;
    rest += 1000;
  }
  return result * 2 ** rest;
}

function gcd(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function clip(p: number): number {
  return Math.min(1, Math.max(0, p));
}
