import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Private redis-server processes on loopback for tests that must break, stall or restart Redis. The
 * shared server on 6379 is never touched.
 *
 * Each server runs under a small shell that holds a pipe from the test process: when the pipe
 * closes, because `kill()`/`stop()` closed it or because the test process ended in any way (failed
 * test without afterAll, crash, SIGKILL), the shell kills redis-server and removes its temp dir.
 * Exit hooks alone are not enough: jest sandboxes `process`, and a killed worker runs none.
 */
const GUARD = `dir=$1; shift
redis-server "$@" --dir "$dir" & pid=$!
read -r _
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
rm -rf "$dir"`;

function launch(args: string[]): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'verigate-redis-'));
  const proc = spawn('sh', ['-c', GUARD, 'sh', dir, ...args], { stdio: ['pipe', 'ignore', 'ignore'] });
  // Neither the child nor its pipe may keep the test process alive; the pipe's end is the signal to quit.
  proc.unref();
  (proc.stdin as net.Socket).unref();
  proc.stdin!.on('error', () => {});
  return proc;
}

/** Closes the guard's pipe and waits until redis-server is gone and its dir removed. */
function end(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.stdin!.destroy();
  return exited;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends one inline command over a fresh socket and returns the raw reply ('' when unreachable). */
export function rawCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = net.connect(port, '127.0.0.1');
    const done = () => { socket.destroy(); resolve(reply); };
    socket.setTimeout(timeoutMs, done);
    socket.on('error', done);
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (bulk ? Buffer.byteLength(reply) >= bulk[0].length + Number(bulk[1]) + 2 : reply.endsWith('\r\n')) done();
    });
    socket.on('connect', () => socket.write(`${command}\r\n`));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pong = async (port: number) => (await rawCommand(port, 'PING', 200)).startsWith('+PONG');

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Kills it for good. */
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server on a free loopback port; `extraArgs` e.g. ['--enable-debug-command', 'yes']. */
export async function startRedisServer(options: { extraArgs?: string[]; port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  let proc: ChildProcess | undefined;
  const kill = async () => {
    const current = proc;
    proc = undefined;
    if (current) await end(current);
  };
  const start = async () => {
    proc = launch(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(options.extraArgs ?? [])]);
    try {
      await waitFor(`redis-server on ${port}`, () => pong(port));
    } catch (error) {
      await kill();
      throw error;
    }
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => { await kill(); await start(); },
    stop: kill,
  };
}

export interface RedisCluster {
  readonly nodes: readonly { host: string; port: number }[];
  /** Kills every node and removes their temp dirs. */
  stop(): Promise<void>;
}

/** Starts a cluster of `masters` nodes (no replicas) on free loopback ports and waits for cluster_state:ok. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => { await Promise.all(procs.map(end)); };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      ports.push(port);
      procs.push(launch(['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--save', '', '--appendonly', 'no', '--daemonize', 'no']));
    }
    for (const port of ports) await waitFor(`cluster node ${port}`, () => pong(port));
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => (await rawCommand(port, 'CLUSTER INFO', 500)).includes('cluster_state:ok'), 20_000);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}

