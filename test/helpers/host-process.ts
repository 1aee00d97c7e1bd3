import { spawn, type ChildProcess } from 'node:child_process';

export interface HostProcess {
  url: string;
  /** Everything the host printed, for diagnostics and for scanning for leaked secrets. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node <file>` and waits for "listening <port>". `node` defaults to this Node (the same
 * version as the tests); pass another binary (e.g. Node 22) to run the host on that.
 */
export async function startHostProcess(cwd: string, file: string, env: Record<string, string>, timeoutMs = 20_000, node = process.execPath): Promise<HostProcess> {
  const child: ChildProcess = spawn(node, [file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(kill); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}
