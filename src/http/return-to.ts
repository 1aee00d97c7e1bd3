const MAX_LENGTH = 2048;
const MAX_DECODES = 4;

function isDecodable(value: string): boolean {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

function canDecode(value: string): boolean {
  try {
    return decodeURIComponent(value) !== value;
  } catch {
    return false;
  }
}

/**
 * Returns `value` if it is a same-origin relative path, else `undefined`. Refuses absolute URLs,
 * scheme-relative `//host`, backslash tricks (`/\host`, which browsers treat as `//host`),
 * their percent-encoded forms, and control characters.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return undefined;
  // Decode to a fixed point so %252F%252F cannot survive one decode and become // later. The raw
  // value must decode cleanly; an escape that is only malformed after decoding ('?q=100%25' →
  // '100%') ends decoding, since nothing downstream can decode it further either.
  if (!isDecodable(value)) return undefined;
  let decoded = value;
  let settled = false;
  for (let i = 0; i < MAX_DECODES && !settled; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    settled = next === decoded;
    decoded = next;
  }
  if (!settled && canDecode(decoded)) return undefined;
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
