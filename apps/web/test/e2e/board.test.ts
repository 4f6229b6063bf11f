import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@taskflow/auth/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  countOf,
  launchBrowser,
  signUp as signUpAt,
  textOf,
  urlOf,
  visible,
  WAIT,
} from '../support/browser';
import { WEB_DIR } from '../support/ensure-built';
import { startWebStack } from '../support/in-process';

const ARTIFACTS = join(WEB_DIR, 'test-artifacts');
/** The top-most open dialog, and the filter bar: labels repeat between them. */
const top = (page: Page) => page.getByRole('dialog').last();
const filterBar = (page: Page) => page.getByRole('navigation', { name: 'Board filters' });

describe('the board in a real browser, against the real API, auth service and PostgreSQL', () => {
  let stack: Stack;
  let webUrl: string;
  let stop: (() => Promise<void>) | undefined;
  const browsers: Browser[] = [];
  let alice: Page;
  let bob: Page;
  let contested: number;

  async function browser(): Promise<Page> {
    const opened = await launchBrowser();
    browsers.push(opened);
    return opened.page;
  }

  const signUp = (page: Page, name: string, email: string) => signUpAt(page, webUrl, name, email);

  const detail = (page: Page) => page.getByTestId('task-detail');
  const trail = (page: Page) => page.getByTestId('audit-trail');

  beforeAll(async () => {
    // Tokens live 35 s, so the app trades its session for a new one every few seconds.
    ({ stack, webUrl, stop } = await startWebStack({ jwtExpiration: '35s' }));
    mkdirSync(ARTIFACTS, { recursive: true });
    alice = await browser();
    bob = await browser();
  });

  afterAll(async () => {
    for (const opened of browsers) await opened.close();
    await stop?.();
  });

  it('signs up, creates a project and a task', async () => {
    await signUp(alice, 'Alice Admin', 'alice@example.com');
    await alice.getByRole('button', { name: 'New project' }).click();
    await top(alice).getByLabel('Name').fill('Launch');
    await top(alice).getByLabel('Slug').fill('Not A Slug');
    await top(alice).getByRole('button', { name: 'Create project' }).click();
    // The same message the API would give, before anything is sent.
    await visible(alice.getByText('Use lowercase letters, digits and single hyphens'));
    await top(alice).getByLabel('Slug').fill('launch');
    await top(alice).getByRole('button', { name: 'Create project' }).click();
    await urlOf(alice).toMatch(/project=launch/);

    await alice.getByRole('button', { name: 'New task' }).click();
    await top(alice).getByRole('button', { name: 'Create task' }).click();
    await visible(alice.getByText('Title is required'));
    await top(alice).getByLabel('Title').fill('Write the e2e test');
    await top(alice).getByLabel('Priority').selectOption('high');
    await top(alice).getByRole('button', { name: 'Create task' }).click();
    await visible(detail(alice));
    await textOf(alice.getByTestId('detail-status')).toBe('Pending');
  });

  it('starts, reports progress, submits for review and completes, each step in the audit trail', async () => {
    await alice.getByRole('button', { name: 'Start', exact: true }).click();
    await textOf(alice.getByTestId('detail-status')).toBe('In progress');
    await top(alice).getByRole('button', { name: 'Report progress', exact: true }).first().click();
    await top(alice).getByLabel('Percent done').fill('50');
    await top(alice).getByLabel('Note (optional)').fill('halfway there');
    await top(alice)
      .getByRole('form', { name: 'Report progress' })
      .getByRole('button', { name: 'Report progress' })
      .click();
    await visible(detail(alice).getByText('50% done'));
    await alice.getByRole('button', { name: 'Submit for review' }).click();
    await textOf(alice.getByTestId('detail-status')).toBe('Review');
    await alice.getByRole('button', { name: 'Complete', exact: true }).click();
    await textOf(alice.getByTestId('detail-status')).toBe('Completed');
    // Only moves the table allows are offered now.
    await visible(alice.getByRole('button', { name: 'Reopen' }));
    await countOf(alice.getByRole('button', { name: 'Start', exact: true })).toBe(0);

    const entries = trail(alice).locator('li');
    await countOf(entries).toBe(5);
    const actions = await entries.evaluateAll((lis) =>
      lis.map((li) => li.getAttribute('data-action')),
    );
    expect(actions).toEqual([
      'created',
      'started',
      'progress',
      'submitted_for_review',
      'completed',
    ]);
    await textOf(trail(alice).locator('li[data-action="progress"]')).toContain(
      '50% · “halfway there”',
    );
    await textOf(trail(alice).locator('li[data-action="started"]')).toContain('Alice Admin');
    await textOf(trail(alice).locator('li').first()).toContain('human');
    await textOf(trail(alice).locator('li[data-action="started"]')).toContain('via web');
    await top(alice).getByRole('button', { name: 'Close' }).click();
  });

  it('shows a second user the conflict when someone else claimed first, and rolls back', async () => {
    await signUp(bob, 'Bob Builder', 'bob@example.com');
    // Alice lets Bob into the project through the members dialog, finding him by his email.
    await alice.getByRole('button', { name: 'Members' }).click();
    const picker = top(alice).getByRole('combobox', { name: 'Person or agent' });
    await picker.fill('nobody@example.com');
    await visible(top(alice).getByText('No one found'));
    await picker.fill('bob@example.com');
    await top(alice)
      .getByRole('option', { name: /Bob Builder/ })
      .click();
    await top(alice).getByRole('button', { name: 'Add Bob Builder' }).click();
    await visible(top(alice).locator('.members').getByText('Bob Builder'));
    await top(alice).getByRole('button', { name: 'Close' }).click();

    await alice.getByRole('button', { name: 'New task' }).click();
    await top(alice).getByLabel('Title').fill('Contested task');
    await top(alice).getByRole('button', { name: 'Create task' }).click();
    await visible(detail(alice));
    contested = Number(new URL(alice.url()).searchParams.get('task'));
    expect(contested).toBeGreaterThan(0);

    // Bob opens the same task while it is still pending, with his live feed cut: otherwise
    // the feed can show him Alice's claim before his click, and there is no Start to click.
    const feed = '**/trpc/events.onChange*';
    await bob.route(feed, (route) => route.abort());
    await bob.goto(`${webUrl}/?project=launch&task=${contested}`);
    await textOf(bob.getByTestId('detail-status')).toBe('Pending');
    // ...Alice claims it first...
    await alice.getByRole('button', { name: 'Start', exact: true }).click();
    await textOf(alice.getByTestId('detail-status')).toBe('In progress');
    // ...and Bob's click is refused: the error is shown and the optimistic change rolled back.
    await bob.getByRole('button', { name: 'Start', exact: true }).click();
    await textOf(bob.getByTestId('move-error')).toBe("Cannot start task with status 'in_progress'");
    await visible(bob.getByTestId('toast-error'));
    await textOf(bob.getByTestId('detail-status')).toBe('In progress');
    await textOf(bob.getByTestId('task-detail')).toContain('Alice Admin');
    await bob.unroute(feed);
    await top(bob).getByRole('button', { name: 'Close' }).click();
    await top(alice).getByRole('button', { name: 'Close' }).click();
  });

  it('reflects filters in the URL and in the cards shown, and saves a screenshot', async () => {
    await alice.goto(`${webUrl}/?project=launch`);
    await visible(alice.getByTestId('column-completed').getByText('Write the e2e test'));
    await visible(alice.getByTestId('column-in_progress').getByText('Contested task'));
    // A claimed card shows how long its lease has left (the server's default: 15 minutes).
    await textOf(alice.getByTestId(`card-${contested}`)).toMatch(/lease 1[45]m/);

    await filterBar(alice).getByLabel('Status').selectOption('completed');
    await urlOf(alice).toMatch(/status=completed/);
    await countOf(alice.getByTestId('column-in_progress')).toBe(0);
    await visible(alice.getByTestId('column-completed').getByText('Write the e2e test'));

    await filterBar(alice).getByLabel('Status').selectOption('');
    await filterBar(alice).getByLabel('Priority').selectOption('high');
    await urlOf(alice).toMatch(/priority=high/);
    await countOf(alice.getByText('Contested task')).toBe(0);
    await visible(alice.getByText('Write the e2e test'));

    await filterBar(alice).getByLabel('Priority').selectOption('');
    await filterBar(alice).getByLabel('Assigned to me').check();
    await urlOf(alice).toMatch(/mine=1/);
    await visible(alice.getByText('Contested task'));

    // A shared link opens the same view; the session survives a reload.
    await alice.reload();
    await expect
      .poll(() => filterBar(alice).getByLabel('Assigned to me').isChecked(), WAIT)
      .toBe(true);
    await visible(alice.getByText('Contested task'));
    await filterBar(alice).getByLabel('Assigned to me').uncheck();
    await alice.screenshot({ path: join(ARTIFACTS, 'board.png'), fullPage: true });
    await alice.setViewportSize({ width: 390, height: 844 });
    await alice.screenshot({ path: join(ARTIFACTS, 'board-mobile.png'), fullPage: true });
    await alice.setViewportSize({ width: 1440, height: 900 });
  });

  it('pages a long column: 25 cards, then more on demand', async () => {
    const cookie =
      (await browsers[0]?.context.cookies(webUrl))?.map((c) => `${c.name}=${c.value}`).join('; ') ??
      '';
    const token = await stack.tokenFor(cookie);
    await fetch(`${stack.apiUrl}/api/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'big', name: 'Big' }),
    });
    for (let i = 1; i <= 30; i++) {
      const res = await fetch(`${stack.apiUrl}/api/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `Bulk ${i}`, project_slug: 'big' }),
      });
      expect(res.status).toBe(201);
    }
    await alice.goto(`${webUrl}/?project=big&status=pending`);
    const cards = alice.getByTestId('column-pending').locator('.card');
    await countOf(cards).toBe(25);
    // The count is the server's, not the cards loaded so far.
    await textOf(alice.getByTestId('count-pending')).toBe('30');
    await alice.getByRole('button', { name: 'Load more' }).click();
    await countOf(cards).toBe(30);
    await countOf(alice.getByRole('button', { name: 'Load more' })).toBe(0);
  });

  it('works from the keyboard: a card opens with Enter, a dialog closes with Escape', async () => {
    await alice.goto(`${webUrl}/?project=launch`);
    const card = alice.getByTestId(`card-${contested}`);
    await visible(card);
    await card.focus();
    await alice.keyboard.press('Enter');
    await urlOf(alice).toMatch(new RegExp(`task=${contested}`));
    await visible(detail(alice));
    await alice.keyboard.press('Escape');
    await countOf(detail(alice)).toBe(0);
    await urlOf(alice).not.toMatch(/task=/);
    // Focus returns to where it was.
    await expect
      .poll(() => alice.evaluate(() => document.activeElement?.getAttribute('data-testid')), WAIT)
      .toBe(`card-${contested}`);
  });

  it('creates a subtask under a parent and shows it there', async () => {
    await alice.goto(`${webUrl}/?project=launch&task=${contested}`);
    await alice.getByRole('button', { name: 'Add subtask' }).click();
    await top(alice).getByLabel('Title').fill('Child of the contested task');
    await top(alice).getByRole('button', { name: 'Create task' }).click();
    await textOf(alice.getByTestId('subtasks')).toContain('Child of the contested task');
  });

  it('makes a task wait for another in the dialog: the card says Waiting and Start is not offered until removed', async () => {
    await alice.goto(`${webUrl}/?project=launch&task=${contested}`);
    await alice
      .getByTestId('subtasks')
      .getByRole('button', { name: 'Child of the contested task' })
      .click();
    await urlOf(alice).not.toMatch(new RegExp(`task=${contested}(&|$)`));
    const child = Number(new URL(alice.url()).searchParams.get('task'));
    await top(alice).getByLabel('Add a task it waits for (id)').fill(String(contested));
    await top(alice).getByRole('button', { name: 'Add dependency' }).click();
    await textOf(alice.getByTestId('waits-for')).toContain('Contested task');
    await visible(alice.getByTestId('waiting-notice'));
    await textOf(trail(alice).locator('li[data-action="dependency_added"]')).toContain(
      `task ${contested}`,
    );
    // Start is not offered while it waits (the API would refuse it with 409).
    await countOf(top(alice).getByRole('button', { name: 'Start', exact: true })).toBe(0);
    await alice.screenshot({ path: join(ARTIFACTS, 'dependencies.png'), fullPage: true });
    await top(alice).getByRole('button', { name: 'Close' }).click();
    await visible(alice.getByTestId(`waiting-${child}`));
    await alice.screenshot({ path: join(ARTIFACTS, 'board-waiting.png') });

    await alice.getByTestId(`card-${child}`).click();
    await top(alice)
      .getByRole('button', { name: `Stop waiting for task ${contested}` })
      .click();
    await countOf(alice.getByTestId('waiting-notice')).toBe(0);
    await visible(top(alice).getByRole('button', { name: 'Start', exact: true }));
    await top(alice).getByRole('button', { name: 'Close' }).click();
    await countOf(alice.getByTestId(`waiting-${child}`)).toBe(0);
  });

  it('takes the next ready task with one click, as an agent would with claim_next_task', async () => {
    await alice.goto(`${webUrl}/?project=launch`);
    const before = new URL(alice.url()).searchParams.get('task');
    expect(before).toBeNull();
    await alice.getByRole('button', { name: 'Take next' }).click();
    await urlOf(alice).toMatch(/[?&]task=\d+/);
    const taken = Number(new URL(alice.url()).searchParams.get('task'));
    await textOf(trail(alice).locator('li[data-action="started"]')).toContain('Alice');
    await visible(alice.getByTestId(`card-${taken}`));
    await textOf(alice.getByTestId(`card-${taken}`)).toMatch(/lease 1[45]m/);
    await top(alice).getByRole('button', { name: 'Close' }).click();
  });

  it('sends the user back to sign-in with a clear message when the session is gone', async () => {
    await bob.goto(`${webUrl}/?project=launch`);
    await textOf(bob.getByTestId('current-user')).toContain('Bob Builder');
    await browsers[1]?.context.clearCookies();
    // Wait past the token's freshness window, then act: the app must ask the session
    // for a new token, find it gone, and say so (a background refetch may get there first).
    await bob.waitForTimeout(5_500);
    await bob
      .getByRole('button', { name: 'New task' })
      .click({ timeout: 2_000 })
      .catch(() => undefined);
    await textOf(bob.getByRole('alert')).toContain(
      'Your session has expired. Please sign in again.',
    );
    await visible(bob.getByRole('button', { name: 'Sign in' }));
  });
});
