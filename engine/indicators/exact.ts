/**
 * Error-free transformations (Dekker, Knuth) for the window sums of SMA and Bollinger bands.
 *
 * A window sum kept as an unevaluated pair hi + lo ("double-double", ~32 significant digits)
 * and updated with `+ x − evicted` computed exactly does not drift: after 10^12 updates its
 * error is still far below one ulp of the sum, so no periodic recomputation is needed and
 * the result depends only on the window, not on the path that led to it. Squares split
 * exactly into hi + lo let the Bollinger variance n·Σx² − (Σx)² be formed without the
 * catastrophic cancellation of plain doubles (for BTCUSD at 60,000 with cent moves, plain
 * doubles lose all digits of the variance).
 *
 * The functions are written out inline in the indicators (two return values would need an
 * allocation); this module holds the constants and documents the formulas used:
 *
 *   TwoSum(a, b):  s = a + b; v = s − a; err = (a − (s − v)) + (b − v)       → a + b = s + err
 *   TwoDiff(a, b): s = a − b; v = s − a; err = (a − (s − v)) − (b + v)       → a − b = s + err
 *   FastTwoSum(a, b), |a| ≥ |b|: s = a + b; err = b − (s − a)
 *   Split(a):      c = SPLITTER·a; hi = c − (c − a); lo = a − hi             → a = hi + lo, 26 bits each
 *   TwoSquare(a):  p = a·a; err = ((hi·hi − p) + 2·hi·lo) + lo·lo            → a² = p + err
 */

/** 2^27 + 1: Dekker's splitter for float64. */
export const SPLITTER = 134217729;

/**
 * The largest |input| the exact squares handle: Split overflows beyond ~2^996 and a² beyond
 * ~1.3e154. No price or indicator input comes near it.
 */
export const MAX_EXACT_INPUT = 1e150;
