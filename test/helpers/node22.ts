import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WORK_DIR } from './packed-package.ts';

const run = promisify(execFile);

/** The lowest Node the package claims (`engines.node`): the one worth testing besides the suite's Node 24. */
export const NODE22_VERSION = '22.17.0';
const DIR = join(WORK_DIR, `node-${NODE22_VERSION}`);
const BINARY = join(DIR, 'node_modules', '.bin', 'node');
const LOCK = `${DIR}.lock`;

async function version(binary: string): Promise<string | null> {
  try {
    return (await run(binary, ['--version'])).stdout.trim();
  } catch {
    return null;
  }
}

/**
 * A real Node 22 binary from the npm registry (the `node` package installs the platform's official
 * build), cached under test/external/.work between runs; parallel test files share it through a lock.
 */
export async function node22(): Promise<string> {
  mkdirSync(WORK_DIR, { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (waited > 300_000) throw new Error('timed out waiting for another test file to install Node 22');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (await version(BINARY) === `v${NODE22_VERSION}`) return BINARY;
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    // The `node` package's preinstall fetches the platform build; allowScripts keeps npm 11 quiet about it.
    writeFileSync(join(DIR, 'package.json'), JSON.stringify({ name: 'verigate-node22', private: true, allowScripts: { node: true } }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', `node@${NODE22_VERSION}`],
      { cwd: DIR, env: { ...process.env, npm_config_loglevel: 'error' }, timeout: 280_000 });
    const installed = await version(BINARY);
    if (installed !== `v${NODE22_VERSION}`) throw new Error(`installing node@${NODE22_VERSION} gave ${installed ?? 'no binary'} at ${BINARY}`);
    return BINARY;
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
