// Type-checked against the packed package from an ESM TypeScript host on Express 5.
import express from 'express';
import { devMailbox, emailVerification, VerigateConfigError, type ConfirmResult, type VerigateOptions } from 'verigate';
import { createVerigateCore } from 'verigate/core';

const mailbox = devMailbox({ environment: 'development' });
const options: VerigateOptions = {
  baseUrl: 'http://localhost:3000/verify',
  secret: 'x'.repeat(32),
  database: 'postgresql://127.0.0.1/app',
  environment: 'development',
  mail: { from: 'a@app.test', transport: mailbox.transport },
  getUser: (req) => (req.user ? { id: BigInt(req.user.id), email: req.user.email ?? null } : null),
};
const vg = emailVerification(options);
const app = express();
app.use('/verify', vg.router);
app.use('/dev/mail', mailbox.router());
const confirmed: Promise<ConfirmResult> = vg.confirm('token');
void confirmed;
void (VerigateConfigError.prototype.code satisfies string);
void createVerigateCore;
