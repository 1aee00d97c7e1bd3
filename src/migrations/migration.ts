/** A schema step. Its statements run in one transaction, in order; each id is applied once, in list order. */
export interface VerigateMigration {
  id: string;
  statements: readonly string[];
}
