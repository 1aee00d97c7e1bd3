import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import { checkKeys, fail, isObject } from '../src/config/checks.ts';

/** Directives a host may add sources to, for an overriding layout that loads from elsewhere. */
export const CSP_DIRECTIVES = ['default-src', 'script-src', 'style-src', 'img-src', 'font-src', 'connect-src', 'media-src', 'frame-src', 'form-action', 'manifest-src', 'worker-src'] as const;

export type CspDirective = (typeof CSP_DIRECTIVES)[number];

/**
 * The Content-Security-Policy of verigate's pages. Default: scripts and styles only from this
 * origin (verigate's are files served by the router) or carrying the page's nonce; nothing else
 * loads, nothing frames the page, forms post only here. An object adds sources per directive,
 * e.g. `{ 'style-src': ['https://cdn.example.com'] }`; `false` leaves the header to the host.
 */
export type CspOption = Partial<Record<CspDirective, string[]>> | false;

/** Sent on every other response of the router (JSON, redirects, files): nothing to load, nothing to frame. */
export const NO_CONTENT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/** A host nonce is reused only when it is plain base64/hex, so it cannot break out of the header. */
const NONCE_PATTERN = /^[A-Za-z0-9+/_=-]{16,128}$/;
/** One source expression: no separators, quotes only around keywords. */
const SOURCE_PATTERN = /^(?:'[a-z0-9+/=-]+'|[^\s;,']+)$/i;

export function resolveCsp(value: unknown): CspOption | undefined {
  if (value === undefined || value === false) return value;
  if (!isObject(value)) {
    return fail('VERIGATE_INVALID_CSP', 'csp must be an object of extra sources per directive, or false.', `e.g. csp: { 'style-src': ['https://cdn.example.com'] }.`);
  }
  checkKeys('csp.', value, CSP_DIRECTIVES);
  const out: Partial<Record<CspDirective, string[]>> = {};
  for (const [directive, sources] of Object.entries(value)) {
    if (!Array.isArray(sources) || !sources.every((s) => typeof s === 'string' && SOURCE_PATTERN.test(s))) {
      fail('VERIGATE_INVALID_CSP', `csp['${directive}'] must be a list of CSP sources.`, `e.g. ['https://cdn.example.com', "'self'"]; no spaces, commas or semicolons.`);
    }
    out[directive as CspDirective] = Object.freeze([...sources]) as string[];
  }
  return Object.freeze(out);
}

/**
 * The nonce of this response, in `res.locals.cspNonce`: the host's (e.g. set for helmet) when it
 * already put one there, else a fresh one. An overriding layout writes `nonce="<%= cspNonce %>"`
 * on any inline `<script>` or `<style>` of its own.
 */
export function responseNonce(res: Response): string {
  const given: unknown = res.locals.cspNonce;
  if (typeof given === 'string' && NONCE_PATTERN.test(given)) return given;
  const nonce = randomBytes(16).toString('base64');
  res.locals.cspNonce = nonce;
  return nonce;
}

/** The policy of one rendered page. */
export function pagePolicy(nonce: string, extra: Partial<Record<CspDirective, string[]>> = {}): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'", `'nonce-${nonce}'`],
    'style-src': ["'self'", `'nonce-${nonce}'`],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
  };
  for (const [directive, sources] of Object.entries(extra)) {
    const base = directives[directive]?.filter((s) => s !== "'none'") ?? [];
    directives[directive] = [...base, ...sources];
  }
  return Object.entries(directives).map(([directive, sources]) => `${directive} ${sources.join(' ')}`).join('; ');
}
