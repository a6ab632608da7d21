import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's full collection as a function, for the few places that know a large amount of memory
 * just became garbage (or, for `tradepilot import`, keep promoting it) and cannot wait for V8
 * to notice. `gc` exists in contexts created once `--expose-gc` is set, so the flag is set and
 * a new context hands it over; setting it again is harmless.
 */
export function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
