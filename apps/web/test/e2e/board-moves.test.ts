import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@taskflow/auth/testing';
import type { Task, TaskCounts } from '@taskflow/contracts';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  countOf,
  launchBrowser,
  signIn,
  signUp,
  textOf,
  urlOf,
  visible,
  WAIT,
} from '../support/browser';
import { WEB_DIR } from '../support/ensure-built';
import { startWebStack } from '../support/in-process';

const ARTIFACTS = join(WEB_DIR, 'test-artifacts');

describe('the board: drag and drop, the keyboard, search, true counts and richer cards', () => {
  let stack: Stack;
  let stop: (() => Promise<void>) | undefined;
  let webUrl: string;
  let browser: Browser | undefined;
  let alice: Page;
  let token: string;
  const ids: Record<string, number> = {};

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return (await res.json()) as T;
  }
  const create = async (key: string, input: Record<string, unknown>) => {
    ids[key] = (await api<Task>('POST', '/api/tasks', input)).id;
  };
  const card = (key: string) => alice.getByTestId(`card-${ids[key]}`);
  const cardItem = (key: string) => alice.getByTestId(`card-item-${ids[key]}`);
  const column = (status: string) => alice.getByTestId(`column-${status}`);
  const serverStatus = async (key: string) =>
    (await api<Task>('GET', `/api/tasks/${ids[key]}`)).status;

  beforeAll(async () => {
    ({ stack, webUrl, stop } = await startWebStack());
    mkdirSync(ARTIFACTS, { recursive: true });
    // The first account: an admin.
    const account = await stack.signUp('alice@example.com', 'Alice Admin', 'correct horse battery');
    token = await stack.tokenFor(account.cookie);
    browser = await launchBrowser();
    alice = browser.page;
    await signIn(alice, webUrl, 'alice@example.com');

    await api('POST', '/api/projects', { slug: 'dnd', name: 'Drag and drop' });
    await api('POST', '/api/projects', { slug: 'other', name: 'Other' });
    await create('drag', { title: 'Drag me', project_slug: 'dnd' });
    await create('reason', { title: 'Needs a reason', project_slug: 'dnd' });
    await create('keys', { title: 'Keyboard card', project_slug: 'dnd' });
    await create('late', {
      title: 'Overdue report',
      project_slug: 'dnd',
      due_date: '2020-01-01',
      tags: ['ops', 'urgent'],
    });
    await create('future', { title: 'Future plan', project_slug: 'dnd', due_date: '2099-01-01' });
    await create('elsewhere', { title: 'Elsewhere', project_slug: 'other' });
    await api('POST', `/api/tasks/${ids.future}/dependencies`, { depends_on_id: ids.late });
  });

  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  it('shows tags and due dates, an overdue one in red, and the project only while all are shown', async () => {
    await alice.goto(webUrl);
    await textOf(card('late')).toContain('ops');
    await textOf(card('late')).toContain('urgent');
    const late = alice.getByTestId(`due-${ids.late}`);
    const future = alice.getByTestId(`due-${ids.future}`);
    await textOf(late).toContain('Overdue');
    await textOf(future).toMatch(/^Due /);
    const color = (locator: typeof late) =>
      locator.evaluate((element) => getComputedStyle(element).color);
    // --danger, #b42318: red for what is late, and only for that.
    expect(await color(late)).toBe('rgb(180, 35, 24)');
    expect(await color(future)).not.toBe('rgb(180, 35, 24)');
    expect(await late.getAttribute('class')).toContain('overdue');
    // Dependency state: one waits, the other holds it up.
    await textOf(alice.getByTestId(`waiting-${ids.future}`)).toBe('Waiting · blocked by 1');
    await textOf(card('late')).toContain('Blocks 1');

    // All projects: each card says which; one project chosen: none needs to.
    await textOf(card('elsewhere').locator('.project-slug')).toBe('other');
    await textOf(card('drag').locator('.project-slug')).toBe('dnd');
    await alice
      .getByRole('navigation', { name: 'Board filters' })
      .getByLabel('Project')
      .selectOption('dnd');
    await urlOf(alice).toMatch(/project=dnd/);
    await countOf(card('elsewhere')).toBe(0);
    await visible(card('drag'));
    await countOf(alice.locator('.board .project-slug')).toBe(0);
    await alice.screenshot({ path: join(ARTIFACTS, 'board-cards.png'), fullPage: true });
  });

  it('moves a card by drag and drop, making the move the transition table allows', async () => {
    await alice.goto(`${webUrl}/?project=dnd`);
    await textOf(alice.getByTestId('count-pending')).toBe('5');
    await textOf(alice.getByTestId('count-in_progress')).toBe('0');
    await cardItem('drag').dragTo(column('in_progress'));
    await visible(column('in_progress').getByTestId(`card-${ids.drag}`));
    await countOf(column('pending').getByTestId(`card-${ids.drag}`)).toBe(0);
    await textOf(alice.getByTestId('count-in_progress')).toBe('1');
    await textOf(alice.getByTestId('count-pending')).toBe('4');
    await expect.poll(() => serverStatus('drag'), WAIT).toBe('in_progress');
    await textOf(alice.getByTestId('toast-info')).toContain('Moved “Drag me” to In progress');
  });

  it('refuses a drop where no move leads, visibly and without asking the server', async () => {
    const posts: string[] = [];
    alice.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/trpc/'))
        posts.push(request.url());
    });
    await alice.goto(`${webUrl}/?project=dnd`);
    await visible(card('keys'));
    // By hand, to see the column while the card is over it: pending cannot go to review.
    await card('keys').hover();
    await alice.mouse.down();
    const review = await column('review').boundingBox();
    expect(review).not.toBeNull();
    if (!review) return;
    await alice.mouse.move(review.x + review.width / 2, review.y + 20, { steps: 8 });
    await expect.poll(() => column('review').getAttribute('data-drop'), WAIT).toBe('refused');
    await visible(column('review').getByText('No move leads here'));
    await expect.poll(() => column('in_progress').getAttribute('data-drop'), WAIT).toBe('allowed');
    await alice.screenshot({ path: join(ARTIFACTS, 'board-drag-refused.png') });
    await alice.mouse.up();

    await textOf(alice.getByTestId('toast-error')).toContain(
      '“Keyboard card” cannot move from Pending to Review',
    );
    await visible(column('pending').getByTestId(`card-${ids.keys}`));
    await countOf(column('review').getByText('No move leads here')).toBe(0);
    expect(posts).toEqual([]);
    expect(await serverStatus('keys')).toBe('pending');
  });

  it("opens the move's form when the move needs input: a reason to block", async () => {
    await alice.goto(`${webUrl}/?project=dnd`);
    await cardItem('reason').dragTo(column('blocked'));
    const dialog = alice.getByRole('dialog', { name: 'Block: Needs a reason' });
    await visible(dialog);
    // Nothing moved yet: the move waits for its reason.
    expect(await serverStatus('reason')).toBe('pending');
    await dialog.getByLabel('Reason').fill('waiting on legal');
    await dialog.getByRole('button', { name: 'Block' }).click();
    await visible(column('blocked').getByTestId(`card-${ids.reason}`));
    // The card moved at once (optimistically); the server's answer follows.
    await expect
      .poll(() => api<Task>('GET', `/api/tasks/${ids.reason}`), WAIT)
      .toMatchObject({ status: 'blocked', blocked_reason: 'waiting on legal' });
  });

  it('moves a card from the keyboard with its "Move to…" menu, and says so', async () => {
    await alice.goto(`${webUrl}/?project=dnd`);
    await card('keys').focus();
    await alice.keyboard.press('Tab');
    const focused = () => alice.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    await expect.poll(focused, WAIT).toBe('Move “Keyboard card” to…');
    const options = await alice.getByTestId(`move-${ids.keys}`).locator('option').allTextContents();
    // Only what the table allows from pending: start and block.
    expect(options).toEqual(['Move to…', 'In progress (Start)', 'Blocked (Block)']);
    await alice.keyboard.press('ArrowDown');
    await visible(column('in_progress').getByTestId(`card-${ids.keys}`));
    await textOf(alice.getByTestId('toast-info').last()).toContain(
      'Moved “Keyboard card” to In progress',
    );
    await expect.poll(() => serverStatus('keys'), WAIT).toBe('in_progress');
  });

  it('narrows the board with the title search, kept in the URL, counts included', async () => {
    await alice.goto(`${webUrl}/?project=dnd`);
    const search = alice.getByRole('searchbox', { name: 'Search' });
    await search.fill('REPORT');
    await urlOf(alice).toMatch(/[?&]q=REPORT/);
    await countOf(alice.locator('.board .card')).toBe(1);
    await visible(card('late'));
    await textOf(alice.getByTestId('count-pending')).toBe('1');
    await textOf(alice.getByTestId('count-in_progress')).toBe('0');
    // A shared link opens the same search.
    await alice.reload();
    await expect.poll(() => search.inputValue(), WAIT).toBe('REPORT');
    await countOf(alice.locator('.board .card')).toBe(1);
    await search.fill('');
    await urlOf(alice).not.toMatch(/q=/);
    await countOf(alice.locator('.board .card')).toBe(5);
  });

  it("counts a column's tasks on the server, not the cards loaded, and follows moves", async () => {
    await api('POST', '/api/projects', { slug: 'big', name: 'Big' });
    for (let i = 1; i <= 27; i++)
      await create(`bulk${i}`, { title: `Bulk ${i}`, project_slug: 'big' });
    await alice.goto(`${webUrl}/?project=big`);
    await countOf(column('pending').locator('.card')).toBe(25);
    const server = await api<TaskCounts>('GET', '/api/tasks/counts?project=big');
    expect(server).toMatchObject({ pending: 27, in_progress: 0, total: 27 });
    await textOf(alice.getByTestId('count-pending')).toBe(String(server.pending));
    await textOf(alice.getByTestId('count-in_progress')).toBe('0');

    await alice.getByTestId(`move-${ids.bulk27}`).selectOption('in_progress');
    await textOf(alice.getByTestId('count-pending')).toBe('26');
    await textOf(alice.getByTestId('count-in_progress')).toBe('1');
    await expect
      .poll(() => api<TaskCounts>('GET', '/api/tasks/counts?project=big'), WAIT)
      .toMatchObject({ pending: 26, in_progress: 1 });
    // Still 25 loaded: the count never was the number of cards.
    await countOf(column('pending').locator('.card')).toBe(25);
  });

  it('adds a member found by whole email, whom part of a name does not find (not an admin)', async () => {
    // Carol has used TaskFlow (so she is a worker) but shares no project with Bob.
    const carol = await stack.signUp(
      'carol@example.com',
      'Carol Stranger',
      'correct horse battery',
    );
    const carolToken = await stack.tokenFor(carol.cookie);
    const seen = await fetch(`${stack.apiUrl}/api/workers/me`, {
      headers: { authorization: `Bearer ${carolToken}` },
    });
    expect(seen.status).toBe(200);

    const bobs = await launchBrowser();
    try {
      const bob = bobs.page;
      await signUp(bob, webUrl, 'Bob Builder', 'bob@example.com');
      await bob.getByRole('button', { name: 'New project' }).click();
      const dialog = bob.getByRole('dialog').last();
      await dialog.getByLabel('Name').fill('Bobs');
      await dialog.getByLabel('Slug').fill('bobs');
      await dialog.getByRole('button', { name: 'Create project' }).click();
      await urlOf(bob).toMatch(/project=bobs/);
      await bob.getByRole('button', { name: 'Members' }).click();
      const members = bob.getByRole('dialog', { name: /Members of/ });
      const picker = members.getByRole('combobox', { name: 'Person or agent' });
      await picker.fill('Carol');
      await visible(members.getByText('No one found'));
      await picker.fill('carol@example.com');
      // From the keyboard: down to the match, Enter to pick it.
      await visible(members.getByRole('option', { name: /Carol Stranger/ }));
      await picker.press('ArrowDown');
      await picker.press('Enter');
      await members.getByRole('button', { name: 'Add Carol Stranger' }).click();
      await visible(members.locator('.members').getByText('Carol Stranger'));
      const project = await fetch(`${stack.apiUrl}/api/projects/bobs`, {
        headers: { authorization: `Bearer ${carolToken}` },
      });
      // Carol is a member now: the project exists for her.
      expect(project.status).toBe(200);
    } finally {
      await bobs.close();
    }
  });
});
