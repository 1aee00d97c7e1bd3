// Type-checked against the packed package from a CommonJS TypeScript host on Express 4.
import express = require('express');
import verigate = require('verigate');

const vg = verigate.emailVerification({
  baseUrl: 'https://app.test/verify',
  secret: 'x'.repeat(32),
  database: { url: 'postgresql://db/app', poolMax: 5, statementTimeout: '5s' },
  mail: { from: 'App <no-reply@app.test>', transport: 'smtp://127.0.0.1:25' },
  csrf: 'auto',
  users: {
    setEmail: (id: verigate.UserId, email: string, { previousEmail }: verigate.SetEmailContext) => id === 1 && email !== previousEmail,
    verifyPassword: async () => true,
  },
  hooks: { onVerified: ({ userId, email }) => void [userId, email] },
});
const app = express();
app.use('/verify', vg.router);
app.get('/dashboard', vg.requireVerified, (_req, res) => { res.send('ok'); });
const sent: Promise<verigate.IssueResult> = vg.sendVerification({ id: 42, email: null });
void sent.then((result) => (result.status === 'RATE_LIMITED' ? result.retryAfterSeconds : result.status));
