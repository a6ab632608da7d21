/**
 * The contract every streaming indicator runs (after trading-signals'
 * `testIndicatorContract`): warm-up, replace, reset and input validation behave the same
 * everywhere, so the engine can treat them alike.
 */
import { describe, expect, it } from 'vitest';
import type { StreamingIndicator } from '../../../engine/indicators';

export interface ContractSpec<TInput, TResult> {
  create(): StreamingIndicator<TInput, TResult>;
  /** The documented warm-up: inputs needed before the first result. */
  warmUp: number;
  /** The i-th input of a deterministic series. */
  input(i: number): TInput;
  /** Another value for bar i (variant 0, 1, 2, … all differ from input(i) and each other). */
  alternative(i: number, variant: number): TInput;
  /** Inputs that must be rejected, each with a text the error message must contain. */
  invalid: ReadonlyArray<{ input: TInput; mentions: string }>;
}

type Indicator<I, R> = StreamingIndicator<I, R>;

function feed<I, R>(indicator: Indicator<I, R>, spec: ContractSpec<I, R>, from: number, to: number): void {
  for (let i = from; i < to; i++) indicator.update(spec.input(i));
}

/** Feeds both the same continuation and expects identical results on every bar. */
function expectSameFuture<I, R>(a: Indicator<I, R>, b: Indicator<I, R>, spec: ContractSpec<I, R>, from: number): void {
  expect(a.count).toBe(b.count);
  expect(a.getResult()).toEqual(b.getResult());
  for (let i = from; i < from + 40; i++) {
    a.update(spec.input(i));
    b.update(spec.input(i));
    expect(a.getResult()).toEqual(b.getResult());
  }
}

export function describeIndicatorContract<I, R>(title: string, spec: ContractSpec<I, R>): void {
  const w = spec.warmUp;
  const checkpoints = [...new Set([0, 1, w - 2, w - 1, w, w + 5, 2 * w + 3])].filter((k) => k >= 0).sort((x, y) => x - y);

  describe(`${title} (indicator contract)`, () => {
    it(`documents a warm-up of ${w} inputs`, () => {
      expect(spec.create().warmUp).toBe(w);
    });

    it('has no result until warm, then one on every bar', () => {
      const indicator = spec.create();
      expect(indicator.getResult()).toBeNull();
      for (let i = 0; i < w - 1; i++) {
        indicator.update(spec.input(i));
        expect(indicator.isWarm).toBe(false);
        expect(indicator.getResult()).toBeNull();
        expect(indicator.value).toBeNull();
      }
      for (let i = w - 1; i < w + 50; i++) {
        indicator.update(spec.input(i));
        expect(indicator.isWarm).toBe(true);
        expect(indicator.getResult()).not.toBeNull();
        expect(indicator.value).toEqual(indicator.getResult());
      }
      expect(indicator.count).toBe(w + 50);
    });

    it('gives after replace() what it gives when fed the replaced series from scratch', () => {
      for (const k of checkpoints) {
        const replaced = spec.create();
        feed(replaced, spec, 0, k + 1);
        replaced.replace(spec.alternative(k, 0));
        const fresh = spec.create();
        feed(fresh, spec, 0, k);
        fresh.update(spec.alternative(k, 0));
        expectSameFuture(replaced, fresh, spec, k + 1);
      }
    });

    it('gives after many replace() calls in a row what it gives after the last one alone', () => {
      for (const k of checkpoints) {
        const many = spec.create();
        feed(many, spec, 0, k + 1);
        for (let v = 1; v <= 7; v++) many.replace(spec.alternative(k, v));
        many.replace(spec.alternative(k, 0));
        const once = spec.create();
        feed(once, spec, 0, k + 1);
        once.replace(spec.alternative(k, 0));
        expect(many.count).toBe(k + 1);
        expectSameFuture(many, once, spec, k + 1);
      }
    });

    it('treats replace() on an indicator that has seen nothing as update()', () => {
      const replaced = spec.create();
      replaced.replace(spec.input(0));
      const updated = spec.create();
      updated.update(spec.input(0));
      expectSameFuture(replaced, updated, spec, 1);
    });

    it('returns to its initial state on reset()', () => {
      const indicator = spec.create();
      feed(indicator, spec, 0, 2 * w + 7);
      indicator.replace(spec.alternative(2 * w + 6, 0));
      indicator.reset();
      expect(indicator.count).toBe(0);
      expect(indicator.isWarm).toBe(false);
      expect(indicator.getResult()).toBeNull();
      const fresh = spec.create();
      for (let i = 0; i < 2 * w + 20; i++) {
        indicator.update(spec.input(i));
        fresh.update(spec.input(i));
        expect(indicator.getResult()).toEqual(fresh.getResult());
      }
    });

    it('rejects a non-finite input with a RangeError naming itself and the value, changing nothing', () => {
      for (const k of [0, w - 1, w + 3]) {
        for (const { input, mentions } of spec.invalid) {
          const indicator = spec.create();
          const control = spec.create();
          feed(indicator, spec, 0, k);
          feed(control, spec, 0, k);
          for (const call of [() => indicator.update(input), () => indicator.replace(input)]) {
            expect(call).toThrow(RangeError);
            expect(call).toThrow(indicator.name);
            expect(call).toThrow(mentions);
          }
          expect(indicator.count).toBe(k);
          expectSameFuture(indicator, control, spec, k);
        }
      }
    });
  });
}

/** Inputs and invalid values for indicators fed with plain closes. */
export function closeSeries(closes: readonly number[]): Pick<ContractSpec<number, unknown>, 'input' | 'alternative' | 'invalid'> {
  return {
    input: (i) => closes[i % closes.length]!,
    alternative: (i, variant) => closes[i % closes.length]! * (1.013 + 0.007 * variant),
    invalid: [
      { input: NaN, mentions: 'NaN' },
      { input: Infinity, mentions: 'Infinity' },
      { input: -Infinity, mentions: '-Infinity' },
    ],
  };
}
