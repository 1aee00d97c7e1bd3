import type { Request } from 'express';
import type { Catalogue, Translator } from '../src/i18n/catalogue.ts';
import { negotiateLocale } from '../src/i18n/negotiate-locale.ts';
import type { Logger } from '../src/ports/logger.ts';
import type { UserId } from '../src/users/user-id.ts';
import { describeError } from '../src/logging/redact.ts';

/** Who the words are for, as the `locale` hook sees them. */
export interface LocaleUser {
  id: UserId;
  email: string | null;
}

/**
 * The host's say in the language: `(req, user) => 'de' | undefined`, e.g. from the user's profile.
 * `req` is undefined for a mail sent outside a request (`sendVerification(user)` in a job), `user`
 * null for a visitor who is not signed in. `undefined`, or a language verigate has no words for,
 * leaves the choice to `Accept-Language`.
 */
export type LocaleHook = (req: Request | undefined, user: LocaleUser | null) => string | null | undefined;

export interface WebI18n {
  readonly catalogue: Catalogue;
  /** The hook, then `Accept-Language` (q-values honoured), then `defaultLocale`. */
  localeOf(req: Request | undefined, user: LocaleUser | null): string;
  /** The translator for this request's visitor, decided once per request. */
  forRequest(req: Request): Translator;
}

export function createWebI18n(options: {
  catalogue: Catalogue;
  hook?: LocaleHook;
  getUser: (req: Request) => LocaleUser | null | 'invalid';
  logger: Logger;
}): WebI18n {
  const { catalogue, hook, logger } = options;
  const perRequest = new WeakMap<Request, Translator>();

  function fromHook(req: Request | undefined, user: LocaleUser | null): string | undefined {
    if (!hook) return undefined;
    try {
      return catalogue.match(hook(req, user));
    } catch (error) {
      // A broken hook costs the visitor their language, not the page.
      logger.warn('the locale hook threw; using Accept-Language', { error: describeError(error) });
      return undefined;
    }
  }

  function localeOf(req: Request | undefined, user: LocaleUser | null): string {
    return fromHook(req, user)
      ?? negotiateLocale(req?.headers?.['accept-language'], catalogue.locales, catalogue.defaultLocale)
      ?? catalogue.defaultLocale;
  }

  return {
    catalogue,
    localeOf,
    forRequest(req) {
      let translator = perRequest.get(req);
      if (!translator) {
        const user = options.getUser(req);
        translator = catalogue.translator(localeOf(req, user === 'invalid' || !user ? null : { id: user.id, email: user.email }));
        perRequest.set(req, translator);
      }
      return translator;
    },
  };
}
