/** Every error code the service API answers with, its status and a message for the calling service's developers. Stable. */
export const SERVICE_ERRORS = {
  UNAUTHENTICATED: { http: 401, message: 'Send a valid, unrevoked API key: Authorization: Bearer vgk_<id>_<secret>.' },
  INSUFFICIENT_SCOPE: { http: 403, message: 'This API key lacks the scope this route needs.' },
  INVALID_USER_ID: { http: 400, message: 'The user id in the path is not usable (at most 255 bytes, no control characters).' },
  EMAIL_PARAM_REQUIRED: { http: 400, message: 'Say which address: ?email= on GET, { "email": … } on POST (this host gives verigate no user lookup).' },
  INVALID_EMAIL: { http: 400, message: 'The address cannot receive mail or is not accepted here.' },
  INVALID_REQUEST: { http: 400, message: 'The request could not be read: send a JSON object, with email as a string if given.' },
  USER_NOT_FOUND: { http: 404, message: 'The host knows no user with this id.' },
  METHOD_NOT_ALLOWED: { http: 405, message: 'Use GET or POST on this route.' },
  ALREADY_VERIFIED: { http: 409, message: 'The user’s current address is already verified; nothing was sent.' },
  NO_EMAIL: { http: 409, message: 'The user has no address on file; nothing was sent.' },
  ADDRESS_SUPPRESSED: { http: 409, message: 'Mail to the user’s address bounced or drew a complaint, so nothing is sent to it; the user must give another address.' },
  EMAIL_MISMATCH: { http: 409, message: 'That is not the user’s current address; mail only goes to the address on file.' },
  PAYLOAD_TOO_LARGE: { http: 413, message: 'The body is larger than this API accepts (16 kB).' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, message: 'Send the body as application/json.' },
  RATE_LIMITED: { http: 429, message: 'A limit was reached; retry after Retry-After seconds.' },
  SERVICE_UNAVAILABLE: { http: 503, message: 'A dependency is unavailable; retry after Retry-After seconds.' },
  INTERNAL_ERROR: { http: 500, message: 'An unexpected error occurred.' },
} as const;

export type ServiceErrorCode = keyof typeof SERVICE_ERRORS;
