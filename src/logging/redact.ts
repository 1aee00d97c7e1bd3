/**
 * Strips anything link- or token-shaped from a text before it is logged or stored as an error,
 * in case a transport echoes the message body back in its error.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/https?:\/\/\S+/gi, '[link]')
    .replace(/[A-Za-z0-9_-]{32,}/g, '[redacted]');
}

export function describeError(error: unknown, max = 300): string {
  const err = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [err?.code, err?.responseCode, typeof err?.message === 'string' ? err.message : String(error)]
    .filter((part) => part !== undefined && part !== null && part !== '');
  return redactSecrets(parts.join(' ')).slice(0, max);
}
