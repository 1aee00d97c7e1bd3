import type { AddressProblem } from '../src/email/address-policy.ts';
import type { ConfirmStatus } from '../src/verification/results.ts';

/** Every error code the HTTP layer can answer with. Stable: clients may switch on them. */
export type ErrorCode =
  | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_USED' | 'TOKEN_SUPERSEDED'
  | 'INVALID_EMAIL' | 'SAME_ADDRESS' | 'REAUTH_REQUIRED' | 'WRONG_PASSWORD' | 'CHANGE_STALE' | 'UNDO_STALE'
  | 'CODE_MALFORMED' | 'CODE_INVALID' | 'CODE_LOCKED' | 'CODE_EXPIRED'
  | 'CHALLENGE_FAILED' | 'CSRF_INVALID' | 'UNAUTHENTICATED' | 'EMAIL_NOT_VERIFIED' | 'EMAIL_REQUIRED' | 'INVALID_USER' | 'RATE_LIMITED'
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
  INVALID_EMAIL: { http: 422, title: 'This email address cannot be used', message: 'Check the address and try again.' },
  SAME_ADDRESS: { http: 422, title: 'That is your current address', message: 'Enter a different address, or keep the one you have.' },
  REAUTH_REQUIRED: { http: 401, title: 'Enter your password', message: 'To change your email address, enter your current password.' },
  WRONG_PASSWORD: { http: 401, title: 'Password not correct', message: 'The password is not correct. Nothing was changed; try again.' },
  CHANGE_STALE: { http: 409, title: 'This change is out of date', message: 'Your account’s address changed after you asked for this one, so the link no longer applies. Ask again from your settings.' },
  UNDO_STALE: { http: 409, title: 'This change cannot be undone here', message: 'The account’s address was changed again in another way. Sign in, or contact support to recover the account.' },
  CODE_MALFORMED: { http: 400, title: 'That is not a code from our email', message: 'Codes are 8 letters and digits, like ABCD-EFGH. Check it and try again.' },
  CODE_INVALID: { http: 400, title: 'That code is not right', message: 'The code does not match the one we sent.' },
  CODE_LOCKED: { http: 410, title: 'Too many wrong codes', message: 'This code no longer works after several wrong tries. Use the link in the email, or ask for a new email.' },
  CODE_EXPIRED: { http: 410, title: 'No code is waiting', message: 'There is no open code for your account: it was used, it expired, or a newer email replaced it. Ask for a new email.' },
  CHALLENGE_FAILED: { http: 400, title: 'Please try again', message: 'The anti-robot check was missing or did not pass. Reload the page, wait for the check to finish, and send the form again.' },
  CSRF_INVALID: { http: 403, title: 'Please try again', message: 'The form expired or was sent from another site. Reload the page and submit it again.' },
  UNAUTHENTICATED: { http: 401, title: 'Please sign in', message: 'Sign in to continue.' },
  EMAIL_NOT_VERIFIED: { http: 403, title: 'Confirm your email address', message: 'Confirm your email address to use this page. Check your inbox for our link, or ask for a new one.' },
  EMAIL_REQUIRED: { http: 403, title: 'Add your email address', message: 'Add an email address to your account to use this page.' },
  INVALID_USER: { http: 500, title: 'Your account cannot be checked', message: 'Something is wrong with how this site identifies accounts. Please try again later.' },
  RATE_LIMITED: { http: 429, title: 'Please wait a moment', message: 'Too many attempts. Try again later.' },
  PAYLOAD_TOO_LARGE: { http: 413, title: 'Request too large', message: 'The request body is larger than this form accepts.' },
  INVALID_REQUEST: { http: 400, title: 'Bad request', message: 'The request could not be read. Reload the page and try again.' },
  NOT_FOUND: { http: 404, title: 'Page not found', message: 'There is nothing at this address.' },
  SERVICE_UNAVAILABLE: { http: 503, title: 'Temporarily unavailable', message: 'We cannot complete this right now. Please try again in a few seconds.' },
  INTERNAL_ERROR: { http: 500, title: 'Something went wrong', message: 'An unexpected error occurred. Please try again.' },
};

/** Why an address was refused, in words that say what to do. */
export const ADDRESS_PROBLEMS: Record<AddressProblem, string> = {
  EMPTY: 'Enter an email address.',
  TOO_LONG: 'The email address is too long. Use a shorter one.',
  CONTROL_CHARACTERS: 'The email address contains characters that are not allowed. Type it again.',
  MISSING_AT: 'The email address needs an @, like name@example.com.',
  LOCAL_PART_INVALID: 'The part before the @ is not a valid mailbox name. Check it for spaces or symbols.',
  DOMAIN_INVALID: 'The part after the @ is not a valid domain name, like example.com.',
  DISPOSABLE: 'That address is at a temporary (disposable) mail service. Use an address you will keep.',
  DOMAIN_NOT_ALLOWED: 'Addresses at that domain cannot be used here. Use a different address.',
  UNDELIVERABLE: 'Mail cannot be delivered to that domain. Check it for typos, or use a different address.',
};

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

/** What the result page says on success. */
export const SUCCESSES: Record<'VERIFIED' | 'ALREADY_VERIFIED' | 'CHANGED' | 'REVERTED', { title: string; message: string }> = {
  VERIFIED: { title: 'Email address confirmed', message: 'Thank you: your email address is confirmed.' },
  ALREADY_VERIFIED: { title: 'Email address confirmed', message: 'This address was already confirmed. You can continue.' },
  CHANGED: { title: 'Email address changed', message: 'Your new address is confirmed and now in use. Other devices were signed out.' },
  REVERTED: { title: 'Change undone', message: 'Your previous address is back and every device was signed out. Someone else may know your password: sign in and set a new one now.' },
};

export function statusFromSlug(slug: unknown): ResultStatus | undefined {
  return (Object.keys(RESULT_SLUGS) as ResultStatus[]).find((status) => RESULT_SLUGS[status] === slug);
}

/** Outcomes that count as success (an old link for a verified address is good news). */
export function isSuccess(status: ResultStatus): status is keyof typeof SUCCESSES {
  return status in SUCCESSES;
}
