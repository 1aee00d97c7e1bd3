/**
 * What a token may be used for. A token of one purpose never passes for another.
 * `email_change` and `change_revoke` are reserved for the email-change flow.
 */
export const TOKEN_PURPOSES = ['verify', 'email_change', 'change_revoke'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];
