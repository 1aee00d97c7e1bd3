import type { AddressProblem } from '../src/email/address-policy.ts';
import type { ConfirmStatus } from '../src/verification/results.ts';
import type { MessageKey } from '../src/i18n/messages-en.ts';

/** Every error code the HTTP layer can answer with. Stable: clients may switch on them. */
export type ErrorCode =
  | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_USED' | 'TOKEN_SUPERSEDED'
  | 'INVALID_EMAIL' | 'ADDRESS_SUPPRESSED' | 'SAME_ADDRESS' | 'REAUTH_REQUIRED' | 'WRONG_PASSWORD' | 'CHANGE_STALE' | 'UNDO_STALE'
  | 'CODE_MALFORMED' | 'CODE_INVALID' | 'CODE_LOCKED' | 'CODE_EXPIRED'
  | 'CHALLENGE_FAILED' | 'CSRF_INVALID' | 'UNAUTHENTICATED' | 'EMAIL_NOT_VERIFIED' | 'EMAIL_REQUIRED' | 'INVALID_USER' | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE' | 'INVALID_REQUEST' | 'NOT_FOUND' | 'SERVICE_UNAVAILABLE' | 'INTERNAL_ERROR';

/** The one table mapping error codes to HTTP statuses; the words are in the message catalogue (`error.<CODE>.title|message`). */
export const ERRORS: Record<ErrorCode, { http: number }> = {
  TOKEN_INVALID: { http: 400 }, TOKEN_EXPIRED: { http: 410 }, TOKEN_USED: { http: 409 }, TOKEN_SUPERSEDED: { http: 410 },
  INVALID_EMAIL: { http: 422 }, ADDRESS_SUPPRESSED: { http: 422 }, SAME_ADDRESS: { http: 422 }, REAUTH_REQUIRED: { http: 401 }, WRONG_PASSWORD: { http: 401 },
  CHANGE_STALE: { http: 409 }, UNDO_STALE: { http: 409 },
  CODE_MALFORMED: { http: 400 }, CODE_INVALID: { http: 400 }, CODE_LOCKED: { http: 410 }, CODE_EXPIRED: { http: 410 },
  CHALLENGE_FAILED: { http: 400 }, CSRF_INVALID: { http: 403 }, UNAUTHENTICATED: { http: 401 }, EMAIL_NOT_VERIFIED: { http: 403 },
  EMAIL_REQUIRED: { http: 403 }, INVALID_USER: { http: 500 }, RATE_LIMITED: { http: 429 }, PAYLOAD_TOO_LARGE: { http: 413 },
  INVALID_REQUEST: { http: 400 }, NOT_FOUND: { http: 404 }, SERVICE_UNAVAILABLE: { http: 503 }, INTERNAL_ERROR: { http: 500 },
};

/** Catalogue keys of an error's title and message. */
export function errorWords(code: ErrorCode): { title: MessageKey; message: MessageKey } {
  return { title: `error.${code}.title`, message: `error.${code}.message` };
}

/** Why an address was refused, in words that say what to do (catalogue key). */
export function addressProblemKey(problem: AddressProblem): MessageKey {
  return `address.${problem}`;
}

/** Every outcome of an emailed link (confirm, change, undo) that the result page can show. */
export type ResultStatus = ConfirmStatus | 'CHANGED' | 'REVERTED' | 'CHANGE_STALE' | 'UNDO_STALE';

/** Outcomes as they appear in the result page URL: readable, and holding no token. */
export const RESULT_SLUGS: Record<ResultStatus, string> = {
  VERIFIED: 'verified',
  ALREADY_VERIFIED: 'already-verified',
  CHANGED: 'email-changed',
  REVERTED: 'change-undone',
  TOKEN_INVALID: 'invalid',
  TOKEN_EXPIRED: 'expired',
  TOKEN_USED: 'used',
  TOKEN_SUPERSEDED: 'superseded',
  CHANGE_STALE: 'change-stale',
  UNDO_STALE: 'undo-stale',
};

/** Outcomes the result page shows as good news; their words are `result.<STATUS>.title|message`. */
export const SUCCESSES = ['VERIFIED', 'ALREADY_VERIFIED', 'CHANGED', 'REVERTED'] as const;
type Success = typeof SUCCESSES[number];

/** Catalogue keys of a result page's title and message. */
export function resultWords(status: ResultStatus): { title: MessageKey; message: MessageKey } {
  return isSuccess(status) ? { title: `result.${status}.title`, message: `result.${status}.message` } : errorWords(status);
}

export function statusFromSlug(slug: unknown): ResultStatus | undefined {
  return (Object.keys(RESULT_SLUGS) as ResultStatus[]).find((status) => RESULT_SLUGS[status] === slug);
}

/** Outcomes that count as success (an old link for a verified address is good news). */
export function isSuccess(status: ResultStatus): status is Success {
  return (SUCCESSES as readonly string[]).includes(status);
}
