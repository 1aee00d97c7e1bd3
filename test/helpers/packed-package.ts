import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository, so a host's other packages resolve from the repository's node_modules. */
export const WORK_DIR = join(ROOT, 'test/external/.work');
const LOCK = join(WORK_DIR, 'pack.lock');
const TARBALL_DIR = join(WORK_DIR, 'tarball');

/** Newest modification time among the files that go into the package. */
function newestInput(): number {
  const walk = (path: string): number => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => walk(join(path, entry))));
  };
  return Math.max(...['src', 'plugin', 'views', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => walk(join(ROOT, p))));
}

async function sleep(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `npm pack`s the package (parallel test files share one through a lock directory) and returns
 * the tarball's path: what a user installs, built from the current sources.
 */
export async function packedTarball(): Promise<string> {
  mkdirSync(WORK_DIR, { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (waited > 120_000) throw new Error('timed out waiting for another test file to pack the package');
      await sleep(200);
    }
  }
  try {
    const existing = existsSync(TARBALL_DIR) ? readdirSync(TARBALL_DIR).filter((f) => f.endsWith('.tgz')) : [];
    // Parallel test files (and reruns) reuse a tarball built after the last change to the sources.
    if (existing.length === 1 && statSync(join(TARBALL_DIR, existing[0])).mtimeMs > newestInput()) return join(TARBALL_DIR, existing[0]);
    rmSync(TARBALL_DIR, { recursive: true, force: true });
    mkdirSync(TARBALL_DIR, { recursive: true });
    // prepack builds dist/ from the sources first.
    await run('npm', ['pack', '--silent', '--pack-destination', TARBALL_DIR], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'error' } });
    const [file] = readdirSync(TARBALL_DIR).filter((f) => f.endsWith('.tgz'));
    return join(TARBALL_DIR, file);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * A host folder with the tarball installed as `node_modules/verigate` and `express` pinned to
 * the given release (`express4` is the newest Express 4, `express417` Express 4.17.3, the oldest supported).
 */
export async function hostWithPackage(name: string, files: string[], express: 'express' | 'express4' | 'express417'): Promise<string> {
  const tarball = await packedTarball();
  const dir = join(WORK_DIR, `${name}-${process.pid}-${Date.now()}`);
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, 'verigate'), { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', join(modules, 'verigate'), '--strip-components=1']);
  symlinkSync(join(ROOT, 'node_modules', express), join(modules, 'express'), 'dir');
  for (const file of files) cpSync(file, join(dir, file.split('/').at(-1)!));
  return dir;
}
