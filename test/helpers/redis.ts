import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { REDIS_URL } from './services.ts';

export interface TestRedis {
  client: Redis;
  /** Unique per test file: tests never assume a clean Redis and clean only their own keys. */
  prefix: string;
  /** Commands sent since the last reset, e.g. ['get', 'expire']. */
  commands: string[];
  close(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `verigate-test:${randomBytes(6).toString('hex')}:`;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: true });
  await client.connect();
  const commands: string[] = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string }, stream?: unknown) => {
    commands.push(command.name);
    return send(command as never, stream as never);
  }) as typeof client.sendCommand;
  return {
    client,
    prefix,
    commands,
    async close() {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length) await client.del(...keys);
      client.disconnect();
    },
  };
}
