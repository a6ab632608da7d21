/**
 * A one-line progress bar for long CLI jobs, redrawn in place on a terminal. It is only ever
 * created for a TTY: piped or redirected output gets nothing, so logs and CI stay clean.
 */
export interface ProgressState {
  /** Bytes read so far, and the total when known. */
  done: number;
  total: number | null;
  rows: number;
  rejected: number;
  elapsedMs: number;
}

export interface ProgressBar {
  update(state: ProgressState): void;
  /** Clears the line, so that what follows starts on a clean line. */
  finish(): void;
}

type TtyStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Redraws at most this often: a terminal cannot show more, and each redraw costs a write. */
const REDRAW_MS = 100;
const CLEAR_LINE = '\r\x1b[K';

/** A progress bar on `stream` when it is a terminal, null otherwise. */
export function progressBarFor(stream: NodeJS.WritableStream, label: string, now: () => number = () => Date.now()): ProgressBar | null {
  const tty = stream as TtyStream;
  if (!tty.isTTY) return null;
  let lastDraw = -Infinity;
  let drawn = false;
  return {
    update(state) {
      const t = now();
      if (t - lastDraw < REDRAW_MS && !(state.total !== null && state.done >= state.total)) return;
      lastDraw = t;
      drawn = true;
      tty.write(`${CLEAR_LINE}${renderProgress(label, state, tty.columns || 80)}`);
    },
    finish() {
      if (drawn) tty.write(CLEAR_LINE);
    },
  };
}

/** The bar's text (no control characters), fitted to `columns`. */
export function renderProgress(label: string, state: ProgressState, columns: number): string {
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(state.rows / seconds) : 0;
  const size = state.total === null ? formatBytes(state.done) : `${formatBytes(state.done)}/${formatBytes(state.total)}`;
  const tail = ` ${size}  ${rate.toLocaleString('en-US')} rows/s  ${state.rejected.toLocaleString('en-US')} rejected`;
  if (state.total === null || state.total === 0) return fit(`${label}${tail}`, columns);
  const fraction = Math.min(1, state.done / state.total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const room = columns - 1 - label.length - tail.length - percent.length - 4;
  const width = Math.max(0, Math.min(40, room));
  const bar = width > 0 ? ` [${'#'.repeat(Math.round(fraction * width)).padEnd(width, '-')}]` : '';
  return fit(`${label}${bar} ${percent}${tail}`, columns);
}

function fit(text: string, columns: number): string {
  // One column short of the edge: writing the last column makes some terminals wrap.
  return text.length < columns ? text : text.slice(0, Math.max(0, columns - 1));
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}
