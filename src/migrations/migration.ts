/** A schema step. Statements run in one transaction, in order; ids are applied once, sorted. */
export interface VerigateMigration {
  id: string;
  statements: readonly string[];
}
