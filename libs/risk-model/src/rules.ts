import { identifierSchema } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import { z } from 'zod';
import type { Reason } from './scorer.js';

/**
 * A corrective-feedback rule: when, among a line's recent scored cells, enough are high risk AND the
 * model names one of `features` as pushing their risk up, move a machine setpoint one bounded step.
 * Rules are configuration (INFERENCE_RULES), not code: the model finds the cause, the plant decides
 * the knob and which features that knob acts on.
 */
export const feedbackRuleSchema = z
  .object({
    id: identifierSchema,
    description: z.string().max(512).default(''),
    /** A high-risk cell counts as evidence when one of these features is among its reasons with a positive contribution. */
    features: z.array(z.string().min(1)).min(1),
    /** Recent scored cells per line the rule looks at. */
    windowCells: z.number().int().min(1).default(50),
    /** No decision before this many cells were scored since start or since the last command. */
    minCells: z.number().int().min(1).default(20),
    /** Share of high-risk cells in the window that triggers. */
    minHighShare: z.number().gt(0).max(1).default(0.2),
    /** Share of those high-risk cells whose reasons name one of `features` upwards. */
    minFeatureShare: z.number().gt(0).max(1).default(0.5),
    action: z.object({
      machine: identifierSchema,
      setpoint: identifierSchema,
      unit: z.string().max(32).optional(),
      /** Signed change per command, e.g. -50 rpm. */
      step: z.number().refine((step) => step !== 0, 'step must not be 0'),
      min: z.number(),
      max: z.number(),
      /** Largest change one command may make, whatever `step` says. */
      maxStep: z.number().positive(),
      /** No second command from this rule and line within this time. */
      cooldownMs: z.number().int().min(0),
    }),
  })
  .refine((rule) => rule.action.min <= rule.action.max, {
    message: 'action.min must not exceed action.max',
    path: ['action'],
  })
  .refine((rule) => rule.minCells <= rule.windowCells, {
    message: 'minCells must not exceed windowCells',
    path: ['minCells'],
  });
export type FeedbackRule = z.infer<typeof feedbackRuleSchema>;

export const feedbackRulesSchema = z
  .array(feedbackRuleSchema)
  .refine((rules) => new Set(rules.map((rule) => rule.id)).size === rules.length, 'rule ids must be unique');

/**
 * The demo line's rule: rising risk tied to CAS_01's assembly conditions (its speed, or its vibration,
 * which the drive's speed excites) lowers the speed setpoint by 50 rpm, never below 800 or above
 * 1500 rpm, at most 100 rpm a command and once per 5 minutes per line. The speed and vibration
 * features move together, so a model may name either; the rule accepts both.
 */
export const DEFAULT_FEEDBACK_RULES: readonly FeedbackRule[] = feedbackRulesSchema.parse([
  {
    id: 'cas01-speed-down-on-risk',
    description: 'high-risk cells blamed on CAS_01 speed or vibration: lower the CAS_01 speed setpoint',
    features: ['cas_speed_mean_rpm', 'cas_speed_max_rpm', 'cas_vibration_mean', 'cas_vibration_max'],
    action: {
      machine: 'CAS_01',
      setpoint: 'speed_setpoint',
      unit: 'rpm',
      step: -50,
      min: 800,
      max: 1500,
      maxStep: 100,
      cooldownMs: 300_000,
    },
  },
]);

/** What a rule decided; the caller turns it into a `machine.commands.v1` message. */
export interface FeedbackDecision {
  ruleId: string;
  line: string;
  machine: string;
  setpoint: string;
  unit?: string;
  from: number;
  value: number;
  reason: string;
}

interface RuleState {
  /** Ring of the last `windowCells` cells: 0 low, 1 high, 2 high with the rule's feature upwards. */
  ring: Uint8Array;
  size: number;
  next: number;
  lastFiredUs: number;
}

/**
 * Keeps, per rule and line, the recent scored cells, and decides bounded setpoint changes. Pure and
 * clock-free: the caller passes `now` and the setpoint's current value.
 */
export class FeedbackEngine {
  private readonly state = new Map<string, RuleState>();

  constructor(readonly rules: readonly FeedbackRule[]) {}

  private stateOf(rule: FeedbackRule, line: string): RuleState {
    const key = `${rule.id}\u0000${line}`;
    let state = this.state.get(key);
    if (!state) {
      state = { ring: new Uint8Array(rule.windowCells), size: 0, next: 0, lastFiredUs: -Infinity };
      this.state.set(key, state);
    }
    return state;
  }

  /** Records one scored cell (cells scored 'unknown' are not evidence either way and are not passed here). */
  observe(line: string, high: boolean, reasons: readonly Reason[]): void {
    for (const rule of this.rules) {
      const state = this.stateOf(rule, line);
      const blamed =
        high && reasons.some((reason) => reason.contribution > 0 && rule.features.includes(reason.feature));
      state.ring[state.next] = !high ? 0 : blamed ? 2 : 1;
      state.next = (state.next + 1) % rule.windowCells;
      state.size = Math.min(rule.windowCells, state.size + 1);
    }
  }

  /**
   * Decisions for `line` now. `current(rule)` gives the setpoint's present value (undefined: unknown, so no
   * command, since a step from an unknown value is not bounded). A rule that fires forgets its window,
   * so the next command needs fresh evidence from cells made after the change.
   */
  decide(
    line: string,
    current: (rule: FeedbackRule) => number | undefined,
    nowUs: EpochUs,
  ): FeedbackDecision[] {
    const decisions: FeedbackDecision[] = [];
    for (const rule of this.rules) {
      const state = this.stateOf(rule, line);
      if (state.size < rule.minCells) continue;
      if (nowUs - state.lastFiredUs < rule.action.cooldownMs * 1000) continue;
      let high = 0;
      let blamed = 0;
      for (let index = 0; index < state.size; index += 1) {
        const mark = state.ring[index]!;
        if (mark > 0) high += 1;
        if (mark === 2) blamed += 1;
      }
      if (high / state.size < rule.minHighShare || blamed / Math.max(1, high) < rule.minFeatureShare)
        continue;
      const from = current(rule);
      if (from === undefined || !Number.isFinite(from)) continue;
      const value = boundedStep(from, rule.action);
      if (Math.abs(value - from) < 1e-9) continue;
      const unit = rule.action.unit ? ` ${rule.action.unit}` : '';
      decisions.push({
        ruleId: rule.id,
        line,
        machine: rule.action.machine,
        setpoint: rule.action.setpoint,
        ...(rule.action.unit ? { unit: rule.action.unit } : {}),
        from,
        value,
        reason:
          `rule ${rule.id}: ${high} of the last ${state.size} cells on ${line} high risk, ${blamed} of them with ` +
          `${rule.features.join(' or ')} raising the risk; ${rule.action.setpoint} ${from}${unit} -> ${value}${unit} ` +
          `(bounds ${rule.action.min}-${rule.action.max}, max step ${rule.action.maxStep})`,
      });
      state.lastFiredUs = nowUs;
      state.size = 0;
      state.next = 0;
    }
    return decisions;
  }
}

/** One step from `from`, clipped to the bounds and to `maxStep`; a value outside the bounds is walked back in. */
export function boundedStep(from: number, action: FeedbackRule['action']): number {
  const target = Math.min(action.max, Math.max(action.min, from + action.step));
  const change = Math.max(-action.maxStep, Math.min(action.maxStep, target - from));
  return from + change;
}
