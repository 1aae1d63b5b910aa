// KL coefficient controllers (Ziegler et al. 2019), identical across TRL, OpenRLHF, trlx and DS-Chat
// (rlhf-conventions.md, "adaptive KL"). The adaptive one moves beta so the measured KL tracks a target:
//   e = clip(KL / target - 1, -0.2, 0.2);  beta <- beta * (1 + e * nSteps / horizon).
// Both controllers expose state() and are rebuilt by klControllerFromState, so a resumed run continues
// with the same beta (rlhf-conventions.md, complaint 3: save the KL controller with the checkpoint).
import { positive } from './args.js';

/** What a trainer needs from a KL controller. */
export interface KLController {
  /** The current KL coefficient beta. */
  readonly value: number;
  /**
   * Report the KL measured on the last batch.
   * @param currentKl mean per-sequence KL of the batch (the objective/kl metric)
   * @param nSteps number of samples (episodes) the batch held
   */
  update(currentKl: number, nSteps: number): void;
  /** A JSON-safe snapshot for checkpoints; restore it with klControllerFromState. */
  state(): KLControllerState;
}

export type KLControllerState =
  | { kind: 'fixed'; value: number }
  | { kind: 'adaptive'; value: number; target: number; horizon: number };

/** Options of AdaptiveKLController. */
export interface AdaptiveKLConfig {
  /** beta at the start of training. */
  initKlCoef: number;
  /** The KL (nats per sequence, as objective/kl measures it) the controller steers toward. */
  target: number;
  /** Samples over which a full 20% correction is applied. 10000 (rlhf-conventions.md). */
  horizon: number;
}

/**
 * Defaults: beta 0.05 is the project's fixed default (rlhf-conventions.md); target 6 is TRL's and the
 * Ziegler et al. value; horizon 10000 is everyone's.
 */
export const adaptiveKLDefaults: Readonly<AdaptiveKLConfig> = { initKlCoef: 0.05, target: 6, horizon: 10000 };

function checkUpdate(fn: string, currentKl: number, nSteps: number): void {
  if (typeof currentKl !== 'number' || !Number.isFinite(currentKl)) {
    throw new Error(`${fn}: currentKl must be a finite number, got ${currentKl}`);
  }
  if (!Number.isInteger(nSteps) || nSteps < 0) {
    throw new Error(`${fn}: nSteps must be an integer >= 0, got ${nSteps}`);
  }
}

/** A constant KL coefficient; update checks its arguments and changes nothing. */
export class FixedKLController implements KLController {
  readonly value: number;

  /** @param klCoef beta >= 0; 0.05 is the project default (rlhf-conventions.md). */
  constructor(klCoef = 0.05) {
    if (typeof klCoef !== 'number' || !Number.isFinite(klCoef) || klCoef < 0) {
      throw new Error(`FixedKLController: klCoef must be a finite number >= 0, got ${klCoef}`);
    }
    this.value = klCoef;
  }

  update(currentKl: number, nSteps: number): void {
    checkUpdate('FixedKLController.update', currentKl, nSteps);
  }

  state(): KLControllerState {
    return { kind: 'fixed', value: this.value };
  }
}

/** The Ziegler et al. proportional controller on log beta. */
export class AdaptiveKLController implements KLController {
  private beta: number;
  readonly target: number;
  readonly horizon: number;

  constructor(config: Partial<AdaptiveKLConfig> = {}) {
    const fn = 'AdaptiveKLController';
    const c = { ...adaptiveKLDefaults, ...config };
    this.beta = positive(fn, 'initKlCoef', c.initKlCoef);
    this.target = positive(fn, 'target', c.target);
    this.horizon = positive(fn, 'horizon', c.horizon);
  }

  get value(): number {
    return this.beta;
  }

  update(currentKl: number, nSteps: number): void {
    checkUpdate('AdaptiveKLController.update', currentKl, nSteps);
    const e = Math.min(0.2, Math.max(-0.2, currentKl / this.target - 1)); // proportional error, clipped
    this.beta *= 1 + (e * nSteps) / this.horizon;
  }

  state(): KLControllerState {
    return { kind: 'adaptive', value: this.beta, target: this.target, horizon: this.horizon };
  }
}

/** Rebuild a controller from state(), e.g. when resuming from a checkpoint. */
export function klControllerFromState(state: KLControllerState): KLController {
  if (state?.kind === 'fixed') return new FixedKLController(state.value);
  if (state?.kind === 'adaptive') {
    const { value, target, horizon } = state;
    return new AdaptiveKLController({ initKlCoef: value, target, horizon });
  }
  throw new Error(`klControllerFromState: unknown kind '${(state as { kind?: unknown })?.kind}'`);
}
