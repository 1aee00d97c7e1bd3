'use strict';
/**
 * A typical older host, as found in the wild: Express 4, CommonJS, passport-local with a
 * *username* login, users in SQLite with integer ids and an optional email column, sessions in
 * PostgreSQL (connect-pg-simple), and csurf mounted globally. verigate is added with the lines
 * between `verigate:begin` / `verigate:end` markers only (the main block, plus one line in the
 * sign-up handler for apps that collect the address there); the test counts them all.
 *
 * Environment: PORT (0 = any), BASE_URL, DATABASE_URL, SMTP_URL, SESSION_SECRET, VERIGATE_SECRET,
 * SQLITE_PATH, CSRF_ORDER ('before' or 'after' verigate's router). Prints "listening <port>".
 */
const crypto = require('node:crypto');
const { DatabaseSync } = require('node:sqlite');
const express = require('express');
const session = require('express-session');
const PgSession = require('connect-pg-simple')(session);
const passport = require('passport');
const { Strategy: LocalStrategy } = require('passport-local');
const csurf = require('csurf');

const env = process.env;
const db = new DatabaseSync(env.SQLITE_PATH || ':memory:');
db.exec(`create table if not exists users (
  id integer primary key autoincrement, username text not null unique, email text unique, password_hash text not null)`);

function hashPassword(password) {
  const salt = crypto.randomBytes(16);
  return `${salt.toString('hex')}:${crypto.scryptSync(password, salt, 32).toString('hex')}`;
}
function checkPassword(id, password) {
  const row = db.prepare('select password_hash from users where id = ?').get(id);
  if (!row) return false;
  const [salt, hash] = row.password_hash.split(':');
  return crypto.timingSafeEqual(crypto.scryptSync(password, Buffer.from(salt, 'hex'), 32), Buffer.from(hash, 'hex'));
}

passport.use(new LocalStrategy((username, password, done) => {
  const row = db.prepare('select id from users where username = ?').get(username);
  done(null, row && checkPassword(row.id, password) ? { id: row.id } : false);
}));
passport.serializeUser((user, done) => done(null, user.id));
passport.deserializeUser((id, done) => done(null, db.prepare('select id, username, email from users where id = ?').get(id) || false));

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(express.json());
app.use(session({
  store: new PgSession({ conString: env.DATABASE_URL, createTableIfMissing: true }),
  secret: env.SESSION_SECRET, resave: false, saveUninitialized: false,
}));
app.use(passport.initialize());
app.use(passport.session());
const hostCsrf = csurf();
if (env.CSRF_ORDER !== 'after') app.use(hostCsrf);

// verigate:begin
const { emailVerification } = require('verigate');
const vg = emailVerification({
  baseUrl: `${env.BASE_URL}/verify`, secret: env.VERIGATE_SECRET, database: env.DATABASE_URL,
  mail: { from: 'Old App <no-reply@old.test>', transport: env.SMTP_URL },
  users: {
    setEmail: (id, email, { previousEmail }) => db.prepare('update users set email = ? where id = ? and (email is ? or email = ?)').run(email, id, previousEmail, email).changes > 0,
    verifyPassword: checkPassword,
    isEmailTaken: (email, id) => Boolean(db.prepare('select 1 from users where email = ? and id <> ?').get(email, id)),
  },
});
app.use('/verify', vg.router);
app.use('/dashboard', vg.requireVerified);
// verigate:end

if (env.CSRF_ORDER === 'after') app.use(hostCsrf);

const page = (title, body) => `<!doctype html><title>${title}</title><h1>${title}</h1>${body}`;
const form = (req, action, fields) =>
  `<form method="post" action="${action}"><input type="hidden" name="_csrf" value="${req.csrfToken()}">${fields}<button>Go</button></form>`;

app.get('/signup', (req, res) => res.send(page('Sign up', form(req, '/signup', '<input name="username"><input name="password" type="password">'))));
app.post('/signup', (req, res, next) => {
  const { username, password } = req.body;
  // Like many old apps: the address is optional and stored as typed (no validation of its own).
  const email = typeof req.body.email === 'string' && req.body.email !== '' ? req.body.email : null;
  if (typeof username !== 'string' || typeof password !== 'string' || password.length < 8) return res.status(422).send(page('Sign up', 'Invalid input'));
  let id;
  try {
    id = Number(db.prepare('insert into users (username, email, password_hash) values (?, ?, ?)').run(username, email, hashPassword(password)).lastInsertRowid);
  } catch {
    return res.status(409).send(page('Sign up', 'Username taken'));
  }
  const logIn = () => req.login({ id }, (error) => (error ? next(error) : res.redirect('/dashboard')));
  if (!email) return logIn();
  // verigate:begin (only for apps that collect the address at sign-up; a bad address is a typed result, not an error)
  vg.sendVerification({ id, email }).then(logIn, next);
  // verigate:end
});
app.get('/login', (req, res) => res.send(page('Log in', form(req, '/login', '<input name="username"><input name="password" type="password">'))));
app.post('/login', passport.authenticate('local', { successRedirect: '/dashboard', failureRedirect: '/login' }));
app.get('/runtime', (req, res) => res.json({ version: process.version }));
app.get('/dashboard', (req, res) => {
  if (!req.user) return res.redirect('/login');
  res.send(page('Dashboard', `<p id="who">${req.user.username} ${req.user.email}</p>`));
});
app.use((error, req, res, next) => {
  if (error.code === 'EBADCSRFTOKEN') return res.status(403).send(page('Forbidden', 'Bad CSRF token'));
  next(error);
});

const server = app.listen(Number(env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => vg.close().then(() => process.exit(0))));
