/**
 * Thrown at start-up when `emailVerification(options)` is given options it cannot work with.
 * `code` is stable for programs; `hint` tells a person how to fix it.
 */
export class VerigateConfigError extends Error {
  readonly code: string;
  readonly hint: string;

  constructor(code: string, message: string, hint: string) {
    super(`${message}\n  Hint: ${hint}`);
    this.name = 'VerigateConfigError';
    this.code = code;
    this.hint = hint;
  }
}
