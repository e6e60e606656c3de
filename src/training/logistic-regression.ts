import { Matrix, solve } from 'ml-matrix';

export interface LogisticRegressionParams {
  /** Inverse L2 strength, as scikit-learn's C: the objective is ½‖w‖² + C · Σ log-loss. */
  c: number;
}

/**
 * Standardised, L2-regularised logistic regression, fitted by Newton's method (IRLS). The intercept is not
 * penalised. With 29 inputs and a few hundred rows each step is one 30 × 30 solve.
 */
export class LogisticRegressionModel {
  private constructor(
    readonly mean: number[],
    readonly scale: number[],
    readonly weights: number[],
    readonly bias: number,
  ) {}

  static fit(
    x: readonly number[][],
    y: readonly number[],
    { c }: LogisticRegressionParams,
  ): LogisticRegressionModel {
    const n = x.length;
    const d = x[0].length;
    const mean = Array.from({ length: d }, (_, j) => x.reduce((s, row) => s + row[j], 0) / n);
    const scale = mean.map((m, j) => {
      const sd = Math.sqrt(x.reduce((s, row) => s + (row[j] - m) ** 2, 0) / n);
      return sd > 0 ? sd : 1;
    });
    // Design matrix with a leading 1 for the intercept.
    const z = x.map((row) => [1, ...row.map((v, j) => (v - mean[j]) / scale[j])]);
    let beta = new Array<number>(d + 1).fill(0);
    for (let iteration = 0; iteration < 100; iteration++) {
      const gradient = beta.map((b, k) => (k === 0 ? 0 : b / c));
      const hessian = Matrix.zeros(d + 1, d + 1);
      for (let k = 1; k <= d; k++) {
        hessian.set(k, k, 1 / c);
      }
      for (let i = 0; i < n; i++) {
        const p = sigmoid(dot(beta, z[i]));
        const w = p * (1 - p);
        for (let a = 0; a <= d; a++) {
          gradient[a] += (p - y[i]) * z[i][a];
          for (let b = a; b <= d; b++) {
            hessian.set(a, b, hessian.get(a, b) + w * z[i][a] * z[i][b]);
          }
        }
      }
      for (let a = 0; a <= d; a++) {
        for (let b = 0; b < a; b++) {
          hessian.set(a, b, hessian.get(b, a));
        }
      }
      const step = solve(hessian, Matrix.columnVector(gradient)).to1DArray();
      beta = beta.map((b, k) => b - step[k]);
      if (Math.max(...step.map(Math.abs)) < 1e-10) {
        break;
      }
    }
    return new LogisticRegressionModel(mean, scale, beta.slice(1), beta[0]);
  }

  /** Probability of class 1 for each row. */
  predictProba(x: readonly number[][]): number[] {
    return x.map((row) =>
      sigmoid(
        this.bias + row.reduce((s, v, j) => s + (this.weights[j] * (v - this.mean[j])) / this.scale[j], 0),
      ),
    );
  }
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * b[i], 0);
}

function sigmoid(t: number): number {
  return 1 / (1 + Math.exp(-t));
}
