// verigate's proof-of-work solver (ALTCHA protocol v1): finds n with SHA-256(salt + n) = challenge and
// puts the signed solution into the form. No third party, no inline code; the form stays usable
// without it only where the server's verifier allows.
(function () {
  'use strict';
  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  async function solve(box) {
    const status = box.querySelector('[data-pow-status]');
    const input = box.querySelector('input[name="challenge"]');
    const form = box.closest('form');
    const submit = form && form.querySelector('[type="submit"]');
    if (submit) submit.disabled = true;
    try {
      const c = JSON.parse(box.getAttribute('data-verigate-pow'));
      const max = c.maxnumber || c.maxNumber || 1000000;
      for (let n = 0; n <= max; n++) {
        if ((await sha256Hex(c.salt + n)) === c.challenge) {
          input.value = btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature }));
          if (status) status.textContent = box.getAttribute('data-pow-ready') || '';
          return;
        }
      }
      if (status) status.textContent = box.getAttribute('data-pow-failed') || '';
    } finally {
      if (submit) submit.disabled = false;
    }
  }
  document.querySelectorAll('[data-verigate-pow]').forEach((box) => { solve(box); });
})();
