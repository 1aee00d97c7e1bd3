import { createVerigateCore, type VerigateCore } from '../../src/core.ts';
import type { CoreOptions } from '../../src/config/options.ts';
import { createDbAccess, type DbAccess } from '../../src/db/db-access.ts';
import type { EmailRenderer } from '../../src/ports/mail.ts';
import { createStorage } from '../../src/storage/storage.ts';
import type { TestDatabase } from './database.ts';
import { TEST_SECRET } from './services.ts';

export const quietLogger = { info() {}, warn() {}, error() {} };

/** The core on a test database, worker off, with the given (usually fake) renderer: the core's contract is what it hands the renderer. */
export function createTestCore(db: TestDatabase, renderer: EmailRenderer, overrides: Partial<CoreOptions> = {}): VerigateCore {
  return createVerigateCore({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, em: db.orm.em,
    mail: { from: 'a@app.test', transport: 'smtp://127.0.0.1:1' }, logger: quietLogger,
    worker: { autoStart: false }, limits: false, ...overrides,
  }, { createRenderer: () => renderer });
}

/** Database access straight on a test database's EntityManager (already migrated). */
export function testDbAccess(db: TestDatabase, timeoutMs = 5000): DbAccess {
  return createDbAccess(createStorage({ em: db.orm.em, migrate: false, logger: quietLogger }), timeoutMs);
}
