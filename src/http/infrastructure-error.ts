const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED',
]);
// PostgreSQL SQLSTATE classes meaning "the server, not your query": 08 connection, 53 resources,
// 57 operator intervention, 40 transaction rollback (deadlock, serialization): all worth a retry.
const PG_INFRA_CLASSES = ['08', '40', '53', '57'];
const INFRA_MESSAGES = /connection (is )?(closed|terminated|refused|timeout)|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|Connection terminated|max retries per request|stream isn't writeable|Command timed out|Query read timeout|ClusterAllFailedError|Cluster is disconnected/i;
const INFRA_NAMES = new Set(['ConnectionException', 'MaxRetriesPerRequestError', 'ServiceUnavailableError', 'DatabaseTimeoutError', 'ClusterAllFailedError']);

/**
 * True when an error means a dependency (PostgreSQL, Redis, SMTP) is unreachable or overloaded,
 * which the HTTP layer answers with a fast 503 instead of a 500. Walks `cause` chains, since
 * ORMs and drivers wrap the original socket error.
 */
export function isInfrastructureError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const err = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof err.code === 'string') {
    if (NETWORK_CODES.has(err.code)) return true;
    if (/^[0-9A-Z]{5}$/.test(err.code) && PG_INFRA_CLASSES.includes(err.code.slice(0, 2))) return true;
  }
  if (typeof err.name === 'string' && INFRA_NAMES.has(err.name)) return true;
  if (typeof err.message === 'string' && INFRA_MESSAGES.test(err.message)) return true;
  if (Array.isArray(err.errors) && err.errors.some((e) => isInfrastructureError(e, depth + 1))) return true;
  return isInfrastructureError(err.cause, depth + 1);
}
