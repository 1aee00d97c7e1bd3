import express, { type Router } from 'express';
import type { EmailVerification } from '../plugin/index.ts';
import { currentUser } from './auth.ts';
import { wantsJson, type RenderPage } from './render.ts';

export function createPageRoutes({ vg, render }: { vg: EmailVerification; render: RenderPage }): Router {
  const router = express.Router();

  router.get('/', (req, res) => render(req, res, 'home', { title: 'Home' }));

  // The gate sends anonymous visitors to /login and unverified ones to /verify/pending.
  router.get('/dashboard', vg.requireVerified, async (req, res) => {
    const user = currentUser(req)!;
    const pending = await vg.pendingEmailChange(user);
    if (wantsJson(req)) return void res.json({ user, pendingEmail: pending?.email ?? null });
    return render(req, res, 'dashboard', { title: 'Dashboard', pendingEmail: pending?.email ?? null });
  });

  // Account settings are open to every signed-in user: someone whose address is wrong must be able to fix it.
  router.get('/settings', async (req, res) => {
    const user = currentUser(req);
    if (!user) return res.redirect(302, '/login?returnTo=%2Fsettings');
    const [verified, pending] = await Promise.all([vg.isVerified(user), vg.pendingEmailChange(user)]);
    if (wantsJson(req)) return void res.json({ email: user.email, verified, pendingEmail: pending?.email ?? null });
    return render(req, res, 'settings', { title: 'Settings', verified, pendingEmail: pending?.email ?? null, changeUrl: `${vg.config.basePath}/email` });
  });

  return router;
}
