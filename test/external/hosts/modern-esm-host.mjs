/**
 * A newer host: Express 5, ESM, express-session, its own login, verigate on its own database
 * connection. Environment: PORT, BASE_URL, DATABASE_URL, SMTP_URL, SECRET. Prints "listening <port>".
 */
import express from 'express';
import session from 'express-session';
import { emailVerification } from 'verigate';

const env = process.env;
const app = express();
app.use(express.json());
app.use(session({ secret: env.SECRET, resave: false, saveUninitialized: false }));
app.use((req, res, next) => { req.user = req.session.user; next(); });

const vg = emailVerification({
  baseUrl: `${env.BASE_URL}/verify`, secret: env.SECRET, database: env.DATABASE_URL,
  mail: { from: 'New App <no-reply@new.test>', transport: env.SMTP_URL },
});
app.use('/verify', vg.router);

app.post('/login', async (req, res) => {
  req.session.user = { id: String(req.body.id), email: String(req.body.email) };
  res.json(await vg.sendVerification(req.session.user));
});
app.get('/dashboard', vg.requireVerified, (req, res) => { res.json({ email: req.user.email }); });

const server = app.listen(Number(env.PORT || 0), '127.0.0.1', (error) => {
  if (error) throw error;
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => vg.close().then(() => process.exit(0))));
