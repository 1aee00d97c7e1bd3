import { VerigateConfigError } from './config-error.ts';
import { closestKey } from './closest-key.ts';
import { parseDuration } from './duration.ts';

/** Small validators shared by every options resolver (core, web, limits, addresses). */
export function fail(code: string, message: string, hint: string): never {
  throw new VerigateConfigError(code, message, hint);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses keys outside `known`, suggesting the one a misspelt key was probably meant to be. */
export function checkKeys(where: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closestKey(key, known);
    fail('VERIGATE_UNKNOWN_OPTION', `Unknown option ${where}${key}.`,
      guess ? `Did you mean ${where}${guess}?` : `Known options here: ${known.join(', ')}.`);
  }
}

export function duration(name: string, value: unknown, fallback: string): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === null) fail('VERIGATE_INVALID_DURATION', `${name} must be a positive number of milliseconds or a string like '30s', '15m', '24h'.`, `Got ${JSON.stringify(value)}.`);
  return ms;
}

export function positiveInt(name: string, value: unknown, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || (n as number) < 1) fail('VERIGATE_INVALID_NUMBER', `${name} must be a whole number of 1 or more.`, `Got ${JSON.stringify(value)}.`);
  return n as number;
}

export function bool(name: string, value: unknown, fallback: boolean, code = 'VERIGATE_INVALID_BOOLEAN'): boolean {
  const b = value ?? fallback;
  if (typeof b !== 'boolean') fail(code, `${name} must be true or false.`, `Got ${JSON.stringify(value)}.`);
  return b;
}

export function localPath(name: string, value: unknown, fallback: string): string {
  const path = value ?? fallback;
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.includes('\\')) {
    fail('VERIGATE_INVALID_PATH', `${name} must be a path on this site starting with a single '/'.`, `Got ${JSON.stringify(value)}; e.g. '/login'.`);
  }
  return path;
}
