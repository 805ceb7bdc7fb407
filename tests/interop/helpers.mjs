// What the Chromium tests share: launching Chromium as the suite does,
// reading the server's spooled e-mails, and signing a storefront user up
// through the pages (form, e-mailed confirmation link, button).
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

/** Headless Chromium with the flags every test uses. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * The sign-up confirmation link e-mailed to `address`, read from the spool
 * folder GALLEY_SPOOL_DIR (quoted-printable undone), waiting up to 20 s.
 */
export async function confirmLink(address) {
  const dir = process.env.GALLEY_SPOOL_DIR;
  for (let i = 0; i < 200; i++) {
    for (const name of await fs.readdir(dir).catch(() => [])) {
      if (!name.endsWith('.eml')) continue;
      const raw = await fs.readFile(path.join(dir, name), 'latin1');
      const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g,
        (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      const link = text.match(/https?:\/\/[^\s"<]+\/signup\/confirm\?token=[\w-]+/);
      if (link && text.includes(`To: ${address}`)) return link[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no confirmation e-mail to ${address}`);
}

/**
 * From the log-in page: fills the sign-up form, opens the e-mailed link and
 * presses its button. `shoot(name)`, when given, takes screenshots.
 */
export async function signUp(page, name, email, shoot = async () => {}) {
  await page.click('text=Create an account');
  await page.waitForSelector('input[name=name]');
  await page.fill('input[name=name]', name);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'correct horse battery');
  await shoot('signup');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Check your e-mail');
  await shoot('check-email');
  await page.goto(await confirmLink(email));
  await page.waitForSelector('text=Finish creating your account');
  await shoot('confirm');
  await page.click('button[type=submit]');
}
