// The package's runnable examples, run small: their printed numbers must say what the README says they do.
import { describe, expect, it } from 'vitest';
import { main as bandit, banditDefaults } from '../examples/bandit.js';
import { main as baselineVariance, baselineVarianceDefaults } from '../examples/baseline-variance.js';

const quiet = () => {};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('examples/bandit', () => {
  it('applies the REINFORCE update theta += lr * r * dlog pi / dtheta at every step', async () => {
    const { trajectory } = await bandit({ ...banditDefaults, nSamples: 2000 }, quiet);
    expect(trajectory).toHaveLength(banditDefaults.steps.length + 1);
    for (let i = 1; i < trajectory.length; i++) {
      const prev = trajectory[i - 1]!.theta;
      const { action, reward } = banditDefaults.steps[i - 1]!;
      const dlogpi = action === 1 ? 1 - sigmoid(prev) : -sigmoid(prev); // by hand, only in the test
      expect(trajectory[i]!.theta).toBeCloseTo(prev + banditDefaults.lr * reward * dlogpi, 12);
      expect(trajectory[i]!.p1).toBeCloseTo(sigmoid(trajectory[i]!.theta), 12);
    }
  });

  it('finds the Monte Carlo mean gradient within 3 standard errors of sigma(1 - sigma)', async () => {
    const { check } = await bandit({ ...banditDefaults, nSamples: 4000 }, quiet);
    expect(check.analytic).toBeCloseTo(sigmoid(0.5) * (1 - sigmoid(0.5)), 12);
    expect(Math.abs(check.mean - check.analytic)).toBeLessThan(3 * check.stderr);
    // A single-sample gradient is r (1 - sigma) with probability sigma, else 0: its std is known too.
    const p = sigmoid(0.5);
    expect(check.std).toBeCloseTo(Math.sqrt(p * (1 - p) ** 2 - (p * (1 - p)) ** 2), 2);
  });

  it('prints a row per step and the dual-path check', async () => {
    const lines: string[] = [];
    await bandit({ ...banditDefaults, nSamples: 500 }, (s: string) => lines.push(s));
    expect(lines.filter((l) => /^\s+\d+\s/.test(l))).toHaveLength(banditDefaults.steps.length + 1);
    expect(lines.join('\n')).toContain('analytic     sigma(theta)(1 - sigma(theta)) = 0.235004');
    expect(lines.join('\n')).toMatch(/Monte Carlo {2}mean = \d\.\d{6} {2}std = /);
  });
});

describe('examples/baseline-variance', () => {
  it('keeps every estimator unbiased and orders their variances full > rewards-to-go > baseline', async () => {
    const { exact, estimators } = await baselineVariance(
      { ...baselineVarianceDefaults, nEpisodes: 4000 },
      quiet,
    );
    for (const e of estimators) {
      e.mean.forEach((m, s) => {
        expect(Math.abs(m - exact[s]!), `${e.name}, theta_${s}`).toBeLessThan(3 * e.stderr[s]!);
      });
    }
    const [full, rtg, base] = estimators.map((e) => e.variance) as [number, number, number];
    expect(rtg).toBeLessThan(full);
    expect(base).toBeLessThan(rtg);
    expect(base).toBeLessThan(full / 4);
  });
});
