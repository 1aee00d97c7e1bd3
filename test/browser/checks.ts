import { expect } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';

/** One stop of the keyboard's Tab walk: what got focus and whether a sighted person could see it. */
export interface FocusStop {
  /** `input#email`, `button:Sign up`, `a:Dashboard`, `summary:HTML version`. */
  name: string;
  /** `:focus-visible` matches and draws an outline (or a shadow) of some width. */
  ring: boolean;
  /** The focused box lies in the viewport (after the browser scrolled it there). */
  inView: boolean;
}

// Runs in the page; the project compiles without the DOM library, hence the loose typing.
function describeFocus(): FocusStop | null {
  const doc = (globalThis as any).document;
  const el = doc.activeElement;
  if (!el || el === doc.body || el === doc.documentElement) return null;
  const tag = el.tagName.toLowerCase();
  const text = (el.innerText ?? el.value ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
  const name = tag === 'input' || tag === 'textarea' || tag === 'select' ? `${tag}#${el.id || el.name}` : `${tag}:${text}`;
  const style = (globalThis as any).getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const box = el.getBoundingClientRect();
  const win = globalThis as any;
  const inView = box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0 && box.left < win.innerWidth && box.top < win.innerHeight;
  return { name, ring: el.matches(':focus-visible') && (outline || shadow), inView };
}

/**
 * Presses Tab from the top of the page until focus leaves the document or comes round again, and
 * returns every stop in order.
 */
export async function tabStops(page: Page, max = 40): Promise<FocusStop[]> {
  await page.evaluate(() => (globalThis as any).document.activeElement?.blur());
  const stops: FocusStop[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(describeFocus);
    if (!stop || stops.some((s) => s.name === stop.name)) break;
    stops.push(stop);
  }
  return stops;
}

/**
 * The form's controls come one after the other, in reading order, and every stop on the way
 * (skip link, header, form) shows where the focus is.
 */
export async function expectFocusOrder(page: Page, controls: string[]): Promise<FocusStop[]> {
  const stops = await tabStops(page);
  const names = stops.map((s) => s.name);
  const start = names.indexOf(controls[0]);
  expect({ page: page.url(), order: names.slice(start, start + controls.length) }).toEqual({ page: page.url(), order: controls });
  expect(stops.filter((s) => !s.ring || !s.inView)).toEqual([]);
  // A person starting to type goes to the skip link first, and it leads past the header.
  expect(names[0]).toBe('a:Skip to content');
  return stops;
}

/**
 * No horizontal scrolling: nothing is wider than the screen. Compared with the configured width,
 * not `innerWidth`: a mobile browser zooms out to fit wide content, and `innerWidth` grows with it.
 * Names the first culprits if it fails.
 */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const width = page.viewportSize()!.width;
  const overflow = await page.evaluate((width) => {
    const win = globalThis as any;
    const doc = win.document;
    const culprits = [...doc.body.querySelectorAll('*')]
      .filter((el: any) => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((el: any) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).replace(/\s+/g, '.')}` : ''} (right ${Math.round(el.getBoundingClientRect().right)})`);
    return { scrollWidth: doc.documentElement.scrollWidth, width, innerWidth: win.innerWidth, culprits };
  }, width);
  expect({ page: page.url(), ...overflow, fits: overflow.scrollWidth <= width && overflow.innerWidth === width }).toEqual({ page: page.url(), ...overflow, fits: true });
}

/** The text a screen reader reads as the field's description (its aria-describedby targets). */
export function descriptionOf(field: Locator): Promise<string> {
  return field.evaluate((el: any) => String(el.getAttribute('aria-describedby') ?? '').split(/\s+/)
    .map((id) => el.ownerDocument.getElementById(id)?.textContent ?? '').join(' ').replace(/\s+/g, ' ').trim());
}

export function hasFocus(field: Locator): Promise<boolean> {
  return field.evaluate((el: any) => el.ownerDocument.activeElement === el);
}
