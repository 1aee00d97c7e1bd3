const MAX_LENGTH = 2048;

/**
 * Returns `value` if it is a same-origin relative path, else `undefined`. Refuses absolute URLs,
 * scheme-relative `//host`, backslash tricks (`/\host`, which browsers treat as `//host`),
 * their percent-encoded forms, and control characters.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return undefined;
  let decoded = value;
  // Decode repeatedly so %252F%252F cannot survive one decode and become // later.
  for (let i = 0; i < 3; i++) {
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      return undefined;
    }
  }
  for (const candidate of [value, decoded]) {
    if (!candidate.startsWith('/')) return undefined;
    if (candidate.startsWith('//') || candidate.includes('\\')) return undefined;
    if (/[\u0000-\u001f\u007f]/.test(candidate)) return undefined;
  }
  try {
    const resolved = new URL(value, 'http://verigate.invalid');
    if (resolved.origin !== 'http://verigate.invalid') return undefined;
  } catch {
    return undefined;
  }
  return value;
}
