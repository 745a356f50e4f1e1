/**
 * The mock's request log: one line per finished request, coloured on a TTY or JSON.
 * @module
 */
import type { LogEntry } from '../http/index.js';

/** The log callback for a mode, or undefined when logging is off. */
export function requestLog(mode: 'pretty' | 'json' | false): ((e: LogEntry) => void) | undefined {
  if (mode === 'json') {
    return ({ headers: _headers, ...e }) =>
      process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), ...e, ms: Math.round(e.ms * 100) / 100 })}\n`); // the answer's headers go to the console only
  }
  if (mode === 'pretty') {
    return (e) => {
      const color = e.status >= 500 ? 31 : e.status >= 400 ? 33 : 32;
      const rem = e.remaining === null ? '' : ` remaining=${e.remaining}`;
      process.stdout.write(`\x1b[${color}m${e.status}\x1b[0m ${e.method.padEnd(6)} ${e.path} ${e.keyId ?? '-'}${rem} ${e.ms.toFixed(1)}ms\n`);
    };
  }
  return undefined;
}
