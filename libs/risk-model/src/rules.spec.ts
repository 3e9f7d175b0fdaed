import { epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { boundedStep, FeedbackEngine, feedbackRuleSchema, type FeedbackRule } from './rules.js';

const rule: FeedbackRule = feedbackRuleSchema.parse({
  id: 'speed-down',
  features: ['cas_speed_mean_rpm', 'cas_vibration_max'],
  windowCells: 10,
  minCells: 10,
  minHighShare: 0.3,
  minFeatureShare: 0.5,
  action: {
    machine: 'CAS_01',
    setpoint: 'speed_setpoint',
    unit: 'rpm',
    step: -50,
    min: 900,
    max: 1300,
    maxStep: 30,
    cooldownMs: 60_000,
  },
});
const blamed = [{ feature: 'cas_speed_mean_rpm', value: 1250, contribution: 1.2 }];
const other = [
  { feature: 'fqc_acir_mohm', value: 30, contribution: 2 },
  { feature: 'cas_vibration_max', value: 0.05, contribution: -0.4 },
];

function feed(engine: FeedbackEngine, high: number, low: number, reasons = blamed): void {
  for (let i = 0; i < high; i += 1) engine.observe('line1', true, reasons);
  for (let i = 0; i < low; i += 1) engine.observe('line1', false, []);
}

describe('FeedbackEngine', () => {
  it('lowers the setpoint one bounded step when high risk is blamed on the feature', () => {
    const engine = new FeedbackEngine([rule]);
    feed(engine, 4, 6);
    const [decision, ...rest] = engine.decide('line1', () => 1250, epochUs(1e15));
    expect(rest).toEqual([]);
    expect(decision).toMatchObject({
      machine: 'CAS_01',
      setpoint: 'speed_setpoint',
      from: 1250,
      value: 1220,
    });
    expect(decision?.reason).toContain('4 of the last 10 cells');
  });

  it('does not fire below the high-risk share, or when another feature is to blame, or before minCells', () => {
    const few = new FeedbackEngine([rule]);
    feed(few, 2, 8);
    expect(few.decide('line1', () => 1250, epochUs(1e15))).toEqual([]);
    const elsewhere = new FeedbackEngine([rule]);
    feed(elsewhere, 5, 5, other);
    expect(elsewhere.decide('line1', () => 1250, epochUs(1e15))).toEqual([]);
    const early = new FeedbackEngine([rule]);
    feed(early, 5, 0);
    expect(early.decide('line1', () => 1250, epochUs(1e15))).toEqual([]);
  });

  it('keeps a cooldown and needs fresh evidence after firing', () => {
    const engine = new FeedbackEngine([rule]);
    feed(engine, 10, 0);
    expect(engine.decide('line1', () => 1250, epochUs(1e15))).toHaveLength(1);
    feed(engine, 10, 0);
    expect(engine.decide('line1', () => 1220, epochUs(1e15 + 59_000_000))).toEqual([]);
    expect(engine.decide('line1', () => 1220, epochUs(1e15 + 60_000_000))).toHaveLength(1);
  });

  it('sends nothing when the current value is unknown or already at the bound', () => {
    const engine = new FeedbackEngine([rule]);
    feed(engine, 10, 0);
    expect(engine.decide('line1', () => undefined, epochUs(1e15))).toEqual([]);
    expect(engine.decide('line1', () => 900, epochUs(1e15))).toEqual([]);
  });

  it('keeps lines apart', () => {
    const engine = new FeedbackEngine([rule]);
    feed(engine, 10, 0);
    expect(engine.decide('line2', () => 1250, epochUs(1e15))).toEqual([]);
  });
});

describe('boundedStep', () => {
  it('clips to bounds and the max step, walking an out-of-bounds value back in', () => {
    expect(boundedStep(1250, rule.action)).toBe(1220);
    expect(boundedStep(910, rule.action)).toBe(900);
    expect(boundedStep(1500, rule.action)).toBe(1470);
  });
});

describe('feedbackRuleSchema', () => {
  it('refuses min above max and a zero step', () => {
    expect(feedbackRuleSchema.safeParse({ ...rule, action: { ...rule.action, min: 2000 } }).success).toBe(
      false,
    );
    expect(feedbackRuleSchema.safeParse({ ...rule, action: { ...rule.action, step: 0 } }).success).toBe(
      false,
    );
  });
});
