/** A signed result page URL for `slug` (e.g. 'verified'), as the router redirects to after a link or code. */
export function resultUrl(slug: string, base = '/verify'): RegExp {
  return new RegExp(`^${base}/result\\?status=${slug}&until=\\d+&sig=[A-Za-z0-9_-]{22}$`);
}
