/**
 * Real servers or nothing: a suite whose binary is missing is skipped loudly on a laptop and
 * fails under CI (`CI` set), so a green CI run always means it ran.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { it } from 'vitest';

export function which(binary: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Returns true when `path` exists; otherwise registers a failing test under CI, or warns. */
export function requireBinary(path: string | null, what: string, install: string): boolean {
  if (path && existsSync(path)) return true;
  const message = `${what} not found: this suite did NOT run (${install})`;
  if (process.env.CI)
    it(`has ${what} installed (required under CI)`, () => {
      throw new Error(message);
    });
  else console.warn(`\n  SKIPPED: ${message}\n`);
  return false;
}

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
