const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;
// Sentence punctuation that usually follows a link rather than belonging to it.
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/**
 * Plain text as HTML with http(s) links clickable. Text and URLs are escaped piece by piece,
 * and only URLs that parse with an http(s) scheme become links, so no other scheme can sneak in.
 */
export function linkifyText(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    const start = match.index;
    let valid = false;
    try {
      const protocol = new URL(url).protocol;
      valid = protocol === 'http:' || protocol === 'https:';
    } catch {
      valid = false;
    }
    if (!valid) continue;
    html += escapeHtml(text.slice(last, start));
    html += `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = start + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

/**
 * The HTML body for a sandboxed iframe (no scripts, no same-origin access). `<base target="_top">`
 * plus the sandbox flag lets a person's click on a link open it in the tab, where the session
 * cookie is sent; nothing in the message can navigate by itself.
 */
export function srcdocFor(html: string): string {
  const base = '<base target="_top">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + base) : base + html;
}
