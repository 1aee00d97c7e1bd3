import type { ConfirmStatus } from '../src/verification/results.ts';

/** Every error code the HTTP layer can answer with. Stable: clients may switch on them. */
export type ErrorCode =
  | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_USED' | 'TOKEN_SUPERSEDED'
  | 'INVALID_EMAIL' | 'CSRF_INVALID' | 'UNAUTHENTICATED' | 'EMAIL_NOT_VERIFIED'
  | 'PAYLOAD_TOO_LARGE' | 'INVALID_REQUEST' | 'NOT_FOUND' | 'SERVICE_UNAVAILABLE' | 'INTERNAL_ERROR';

interface ErrorInfo {
  http: number;
  title: string;
  message: string;
}

/** The one table mapping error codes to HTTP statuses and the words a person sees. */
export const ERRORS: Record<ErrorCode, ErrorInfo> = {
  TOKEN_INVALID: { http: 400, title: 'This link is not valid', message: 'The link is incomplete or was not issued by us. Copy the whole link from the email, or ask for a new one.' },
  TOKEN_EXPIRED: { http: 410, title: 'This link has expired', message: 'Links stay valid for a limited time. Ask for a new one and use it soon.' },
  TOKEN_USED: { http: 409, title: 'This link was already used', message: 'Each link works once. If that was you, your address is confirmed: sign in to continue.' },
  TOKEN_SUPERSEDED: { http: 410, title: 'A newer link was sent', message: 'You asked for another email after this one, so this link no longer works. Use the newest email, or ask for a new one.' },
  INVALID_EMAIL: { http: 422, title: 'This email address cannot be used', message: 'Check the address on your account.' },
  CSRF_INVALID: { http: 403, title: 'Please try again', message: 'The form expired or was sent from another site. Reload the page and submit it again.' },
  UNAUTHENTICATED: { http: 401, title: 'Please sign in', message: 'Sign in to continue.' },
  EMAIL_NOT_VERIFIED: { http: 403, title: 'Confirm your email address', message: 'Confirm your email address to use this page. Check your inbox for our link, or ask for a new one.' },
  PAYLOAD_TOO_LARGE: { http: 413, title: 'Request too large', message: 'The request body is larger than this form accepts.' },
  INVALID_REQUEST: { http: 400, title: 'Bad request', message: 'The request could not be read. Reload the page and try again.' },
  NOT_FOUND: { http: 404, title: 'Page not found', message: 'There is nothing at this address.' },
  SERVICE_UNAVAILABLE: { http: 503, title: 'Temporarily unavailable', message: 'We cannot complete this right now. Please try again in a few seconds.' },
  INTERNAL_ERROR: { http: 500, title: 'Something went wrong', message: 'An unexpected error occurred. Please try again.' },
};

/** Confirm outcomes as they appear in the result page URL: readable, and holding no token. */
export const RESULT_SLUGS: Record<ConfirmStatus, string> = {
  VERIFIED: 'verified',
  ALREADY_VERIFIED: 'already-verified',
  TOKEN_INVALID: 'invalid',
  TOKEN_EXPIRED: 'expired',
  TOKEN_USED: 'used',
  TOKEN_SUPERSEDED: 'superseded',
};

export function statusFromSlug(slug: unknown): ConfirmStatus | undefined {
  return (Object.keys(RESULT_SLUGS) as ConfirmStatus[]).find((status) => RESULT_SLUGS[status] === slug);
}

/** Outcomes of a confirmation that count as success (an old link for a verified address is good news). */
export function isSuccess(status: ConfirmStatus): status is 'VERIFIED' | 'ALREADY_VERIFIED' {
  return status === 'VERIFIED' || status === 'ALREADY_VERIFIED';
}
