/**
 * `jane.doe@example.com` → `j***@example.com`: enough for a person to recognise their address in a
 * notice or a log, not enough to harvest it.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  const first = Array.from(address.slice(0, at))[0];
  return `${first}***${address.slice(at)}`;
}
