import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { SettingsError } from '../../example-app/settings.ts';
import { ROOT } from '../helpers/packed-package.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';

const PASSWORD = 'correct horse battery';
const JSON_ACCEPT = { Accept: 'application/json' };
let counter = 0;
const freshEmail = () => `env-${Date.now()}-${counter++}@example.com`;

/** Signs up and logs in over "https" (behind a trusted proxy); returns the session cookie the app set and the address. */
async function signUp(example: ExampleApp): Promise<{ cookie: string; email: string }> {
  const email = freshEmail();
  await request(example.app).post('/signup').set(JSON_ACCEPT).set('X-Forwarded-Proto', 'https').send({ email, password: PASSWORD }).expect(202);
  const login = await request(example.app).post('/login').set(JSON_ACCEPT).set('X-Forwarded-Proto', 'https').send({ email, password: PASSWORD }).expect(200);
  const cookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []).find((c) => /^[^=]*sid[^=]*=|connect\.sid=/i.test(c));
  expect(cookie).toBeDefined();
  return { cookie: cookie!, email };
}

describe('example app: NODE_ENV other than exactly development or test is production', () => {
  it.each([['Production'], ['staging'], ['PRODUCTION'], [undefined]])('NODE_ENV=%p without real services refuses to start', async (nodeEnv) => {
    const env = nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv };
    const attempt = createExampleApp(env);
    await expect(attempt).rejects.toBeInstanceOf(SettingsError);
    await expect(attempt).rejects.toThrow(/Refusing to start: .*PUBLIC \/dev\/mail/);
  });

  describe('with real services', () => {
    let services: RealServices;
    beforeAll(async () => { services = await startRealServices(); });
    afterAll(async () => { await services.close(); });
    const env = () => ({
      DATABASE_URL: services.db.url, REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_PREFIX: `${services.redis.prefix}sess:`,
      SMTP_URL: services.sink.url, VERIGATE_SECRET: TEST_SECRET, SESSION_SECRET: TEST_SECRET, BASE_URL: 'https://app.example.test', TRUST_PROXY: 'loopback',
    });

    it.each(['Production', 'staging'])('NODE_ENV=%s runs as production: no /dev/mail, Secure cookies, mail over SMTP', async (nodeEnv) => {
      const example = await createExampleApp({ ...env(), NODE_ENV: nodeEnv });
      try {
        expect(example.environment).toBe('production');
        expect(example.mailbox).toBeNull();
        await request(example.app).get('/dev/mail').expect(404);
        await request(example.app).get('/dev/mail').set(JSON_ACCEPT).expect(404);
        const { cookie, email } = await signUp(example);
        expect(cookie).toMatch(/;\s*Secure/i);
        await services.sink.waitFor((m) => m.to === email);
      } finally {
        await example.close();
      }
    });

    it('NODE_ENV=Production with an embedded stand-in left out still refuses (here: no SMTP_URL → no public mailbox)', async () => {
      await expect(createExampleApp({ ...env(), SMTP_URL: undefined, NODE_ENV: 'Production' })).rejects.toThrow(/missing: SMTP_URL/);
    });

    it('NODE_ENV=development serves the dev mailbox and plain cookies', async () => {
      const example = await createExampleApp({ ...env(), SMTP_URL: undefined, BASE_URL: 'http://localhost:3000', NODE_ENV: 'development' });
      try {
        expect(example.environment).toBe('development');
        await request(example.app).get('/dev/mail').set(JSON_ACCEPT).expect(200);
        expect((await signUp(example)).cookie).not.toMatch(/;\s*Secure/i);
      } finally {
        await example.close();
      }
    });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** `npm start` as a person runs it, in its own process group so the whole tree can be stopped. */
function npmStart(env: Record<string, string | undefined>) {
  const clean = { ...process.env };
  delete clean.NODE_ENV; // jest sets NODE_ENV=test; a fresh shell has none
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    async waitFor(pattern: RegExp, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start: no ${pattern} in:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      process.kill(-child.pid!, 'SIGTERM');
      const killer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

describe('npm start', () => {
  it('runs on a fresh machine with no environment, explicitly as development, and says so', async () => {
    const port = await freePort();
    const app = npmStart({ PORT: String(port) });
    try {
      await app.waitFor(/ready in \d+ ms/, 90_000);
      expect(app.output()).toContain('environment: development (NODE_ENV=development)');
      expect(app.output()).toContain('NOT production');
      await request(`http://127.0.0.1:${port}`).get('/dev/mail').set(JSON_ACCEPT).expect(200);
    } finally {
      await app.stop();
    }
  }, 120_000);

  it('keeps a NODE_ENV that is set: NODE_ENV=Production npm start without services refuses to start', async () => {
    const app = npmStart({ NODE_ENV: 'Production', PORT: String(await freePort()) });
    expect(await app.exited).not.toBe(0);
    expect(app.output()).toContain('NODE_ENV is "Production", which counts as production');
    expect(app.output()).toContain('Refusing to start');
  }, 60_000);
});
