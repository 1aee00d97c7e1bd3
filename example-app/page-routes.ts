import express, { type Router } from 'express';
import type { EmailVerification } from '../plugin/index.ts';
import { currentUser } from './auth.ts';
import { wantsJson, type RenderPage } from './render.ts';

export function createPageRoutes({ vg, render }: { vg: EmailVerification; render: RenderPage }): Router {
  const router = express.Router();

  router.get('/', (req, res) => render(req, res, 'home', { title: 'Home' }));

  // The gate sends anonymous visitors to /login and unverified ones to /verify/pending.
  router.get('/dashboard', vg.requireVerified, (req, res) => {
    if (wantsJson(req)) return void res.json({ user: currentUser(req) });
    return render(req, res, 'dashboard', { title: 'Dashboard' });
  });

  return router;
}
