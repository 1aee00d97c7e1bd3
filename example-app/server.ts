/**
 * `npm start`: the example app on PORT. Configuration comes from the environment; see settings.ts.
 * `npm start` adds NODE_ENV=development when NODE_ENV is unset (example-app/npm-start.env); started
 * directly (`node example-app/server.ts`), an unset NODE_ENV is production and needs real services.
 */
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createExampleApp, type ExampleApp } from './app.ts';

// Keep-alive connections would hold `server.close()` open; after this grace period they are cut.
const SHUTDOWN_GRACE_MS = 5000;

function describeStartupError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function listen(example: ExampleApp): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = example.app.listen(example.port, (error?: Error) => {
      // Express 5 hands EADDRINUSE and friends to this callback instead of throwing.
      if (error) reject(error);
      else resolve(server);
    });
  });
}

function listenError(error: unknown, port: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return `port ${port} is already in use (another copy of the app may be running). Set PORT to a free port.`;
  if (code === 'EACCES') return `not allowed to listen on port ${port}. Use a port above 1023 or run with the needed privileges.`;
  return describeStartupError(error);
}

async function main(): Promise<void> {
  let example: ExampleApp;
  try {
    example = await createExampleApp(process.env);
  } catch (error) {
    process.stderr.write(`example app failed to start: ${describeStartupError(error)}\n`);
    process.exit(1);
  }

  let server: Server;
  try {
    server = await listen(example);
  } catch (error) {
    process.stderr.write(`example app failed to start: ${listenError(error, example.port)}\n`);
    await example.close().catch(() => {});
    process.exit(1);
  }

  const { mode } = example;
  console.log(`Example App listening on ${example.baseUrl}`);
  if (example.environment === 'production') {
    console.log('environment: production');
  } else {
    // Loud on purpose: `npm start` sets NODE_ENV=development (example-app/npm-start.env) so a fresh checkout runs.
    console.log(`environment: ${example.environment} (NODE_ENV=${process.env.NODE_ENV}) — NOT production: cookies without Secure,`);
    console.log('      random secrets when unset, and the public /dev/mail mailbox when SMTP_URL is unset. Deploy with NODE_ENV=production.');
  }
  console.log(`mode: database=${mode.database} sessions=${mode.sessions} mail=${mode.mail}`);
  if (mode.database === 'pglite' || mode.sessions === 'memory' || mode.mail === 'dev-mailbox') {
    console.log('NOTE: embedded demo mode (in-memory database, sessions or mailbox): data is lost on exit. Not for production;');
    console.log('      set DATABASE_URL, REDIS_URL and SMTP_URL for a real deployment.');
  }
  if (mode.mail === 'dev-mailbox') console.log(`dev mailbox: ${example.baseUrl}/dev/mail`);
  console.log(`ready in ${Math.round(performance.now())} ms`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal} received, shutting down`);
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      example.close().then(() => process.exit(0), (error: unknown) => {
        process.stderr.write(`shutdown: ${describeStartupError(error)}\n`);
        process.exit(1);
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
