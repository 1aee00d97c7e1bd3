import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startHostProcess, type HostProcess } from '../helpers/host-process.ts';
import { hostWithPackage, packedTarball, ROOT } from '../helpers/packed-package.ts';
import { node22, NODE22_VERSION } from '../helpers/node22.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { tokenFrom } from '../helpers/smtp-sink.ts';

const run = promisify(execFile);
const hosts = join(ROOT, 'test/external/hosts');
const dirs: string[] = [];
afterAll(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

async function host(name: string, files: string[], express: 'express' | 'express4'): Promise<string> {
  const dir = await hostWithPackage(name, files.map((f) => join(hosts, f)), express);
  dirs.push(dir);
  return dir;
}

/** tsc over one host file against the packed package's declarations, library checks on. */
async function typecheck(dir: string, file: string): Promise<void> {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true,
      skipLibCheck: false, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    files: [file],
  }));
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir });
}

describe('the packed package', () => {
  it('ships the built entry points, views and migrations CLI, and nothing of the repository', async () => {
    const { stdout } = await run('tar', ['-tzf', await packedTarball()]);
    const files = stdout.split('\n');
    for (const expected of ['package/dist/plugin/index.js', 'package/dist/plugin/index.d.ts', 'package/dist/src/index.js',
      'package/dist/src/entities/index.js', 'package/dist/src/cli/migrate.js', 'package/views/layout.ejs',
      'package/views/emails/verify.text.ejs', 'package/README.md', 'package/package.json']) {
      expect(files).toContain(expected);
    }
    expect(files.filter((f) => /^package\/(test|example-app|bench|src|plugin)\//.test(f))).toEqual([]);
  });

  it.each(['Node 24', `Node ${NODE22_VERSION}`])('loads with require() from CommonJS and import from ESM on %s, without MikroORM installed in the host', async (runtime) => {
    const node = runtime === 'Node 24' ? process.execPath : await node22();
    expect((await run(node, ['--version'])).stdout.trim()).toBe(runtime === 'Node 24' ? process.version : `v${NODE22_VERSION}`);
    const dir = await host('load', [], 'express4');
    const cjs = await run(node, ['-e', "const v = require('verigate'); console.log(typeof v.emailVerification, typeof v.devMailbox)"], { cwd: dir });
    expect(cjs.stdout.trim()).toBe('function function');
    const esm = await run(node, ['--input-type=module', '-e', "const v = await import('verigate'); const c = await import('verigate/core'); console.log(typeof v.emailVerification, typeof c.createVerigateCore)"], { cwd: dir });
    expect(esm.stdout.trim()).toBe('function function');
  }, 300_000);

  it('type-checks from a CommonJS TypeScript host on Express 4', async () => {
    await expect(typecheck(await host('types-cjs', ['types-cjs.cts'], 'express4'), 'types-cjs.cts')).resolves.toBeUndefined();
  });

  it('type-checks from an ESM TypeScript host on Express 5', async () => {
    await expect(typecheck(await host('types-esm', ['types-esm.mts'], 'express'), 'types-esm.mts')).resolves.toBeUndefined();
  });

  it('refuses a wrong option at type level too (the checks are real)', async () => {
    const dir = await host('types-wrong', [], 'express');
    writeFileSync(join(dir, 'wrong.mts'), "import { emailVerification } from 'verigate';\nemailVerification({ baseUrl: 'x', secret: 'y', databse: 'z', mail: { from: 'a', transport: 'b' } });\n");
    await expect(typecheck(dir, 'wrong.mts')).rejects.toMatchObject({ stdout: expect.stringContaining('databse') });
  });
});

describe('an ESM host on Express 5, from the tarball', () => {
  let services: RealServices;
  let app: HostProcess;

  beforeAll(async () => {
    services = await startRealServices();
    const dir = await host('modern-esm', ['modern-esm-host.mjs'], 'express');
    app = await startHostProcess(dir, 'modern-esm-host.mjs', {
      NODE_ENV: 'test', PORT: '0', BASE_URL: 'http://127.0.0.1', DATABASE_URL: services.db.url, SMTP_URL: services.sink.url, SECRET: TEST_SECRET,
    });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await services?.close();
  });

  it('signs up, mails a link, confirms it and opens the gate', async () => {
    const agent = request.agent(app.url);
    const email = `esm-${Date.now()}@example.com`;
    expect((await agent.post('/login').send({ id: 'u-1', email }).expect(200)).body.status).toBe('SENT');
    await agent.get('/dashboard').set('Accept', 'application/json').expect(403);
    const token = tokenFrom(await services.sink.waitFor((m) => m.to === email, 15_000));
    await agent.post('/verify/confirm').set('Accept', 'application/json').send({ token }).expect(200, { status: 'VERIFIED' });
    await agent.get('/dashboard').set('Accept', 'application/json').expect(200, { email });
  });
});
