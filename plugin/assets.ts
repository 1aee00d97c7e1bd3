import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
import { assetPath } from './view-renderer.ts';

/** verigate's static files (`views/assets/`): the pages' stylesheet and the proof-of-work solver. */
const FILES = {
  'verigate.css': 'text/css; charset=utf-8',
  'verigate-pow.js': 'application/javascript; charset=utf-8',
} as const;

type AssetName = keyof typeof FILES;

interface Asset {
  body: Buffer;
  type: string;
  /** `verigate.<hash>.css`: its content never changes, so browsers may keep it for a year. */
  hashedName: string;
  /** Any `verigate.<something>.css`: an older page's name during a rolling deploy still gets the file. */
  pattern: RegExp;
}

export interface Assets {
  /** The content-hashed file name of an asset, for URLs under the router's `/assets/`. */
  fileName(name: AssetName): string;
  /** `GET /assets/:file`. Unknown files fall through to the host (its own 404). */
  handler: RequestHandler;
}

const YEAR_SECONDS = 365 * 24 * 3600;

/**
 * Reads the files once, at start-up. A hashed name is `immutable` for a year; the plain name and
 * stale hashes are served too (so a page rendered by an older instance still looks right, and
 * `verigate-pow.js` keeps its old URL) with a day's cache, since their content may change.
 */
export function loadAssets(): Assets {
  const assets = new Map<AssetName, Asset>();
  for (const [name, type] of Object.entries(FILES) as [AssetName, string][]) {
    const body = readFileSync(assetPath(name));
    const dot = name.lastIndexOf('.');
    const stem = name.slice(0, dot);
    const ext = name.slice(dot);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    assets.set(name, { body, type, hashedName: `${stem}.${hash}${ext}`, pattern: new RegExp(`^${stem.replace(/[.-]/g, '\\$&')}(\\.[0-9a-f]{1,64})?\\${ext}$`) });
  }

  const handler: RequestHandler = (req, res, next) => {
    const file = req.params.file;
    const asset = typeof file === 'string' ? [...assets.values()].find((a) => a.pattern.test(file)) : undefined;
    if (!asset) return next();
    res.set({
      'Content-Type': asset.type,
      'Cache-Control': file === asset.hashedName ? `public, max-age=${YEAR_SECONDS}, immutable` : 'public, max-age=86400',
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    res.send(asset.body);
  };

  return { fileName: (name) => assets.get(name)!.hashedName, handler };
}
