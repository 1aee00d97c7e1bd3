/** Email address rules of the core: syntax, identity keys, disposable domains and the policy that combines them. */
export { parseEmailAddress, canonicalEmail, splitAddress, type ParsedEmailAddress, type EmailAddressProblem } from './email-address.ts';
export { uniquenessKey, foldLocalPart, type UniquenessKeyOptions } from './uniqueness-key.ts';
export { limitKey } from './limit-key.ts';
export { createDomainRules, isDisposableDomain, type DomainRules, type DomainVerdict } from './disposable-domains.ts';
export { mxCheck, type MxCheckOptions, type MxResolver } from './mx-check.ts';
export { resolveAddressOptions, ADDRESS_KEYS, type AddressOptions, type ResolvedAddressOptions } from './address-options.ts';
export { createAddressPolicy, type AddressPolicy, type AddressCheck, type AddressProblem } from './address-policy.ts';
