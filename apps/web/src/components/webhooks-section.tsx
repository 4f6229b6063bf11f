import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Webhook, WebhookWithSecret } from '@taskflow/contracts';
import { type FormEvent, useState } from 'react';
import { toProblem } from '../lib/errors';
import { useTRPC, useTRPCClient } from '../lib/trpc';
import { useToast } from './toasts';

/** A secret the API answered once (create, rotate): shown until dismissed, with a copy button. */
function SecretOnce({ issued, onDone }: { issued: WebhookWithSecret; onDone: () => void }) {
  const toast = useToast();
  const copy = () =>
    navigator.clipboard
      .writeText(issued.secret)
      .then(() => toast('info', 'Secret copied'))
      .catch(() => toast('error', 'Could not copy: select the secret and copy it by hand'));
  return (
    <div className="webhook-secret" role="alert">
      <p>
        Signing secret for {issued.url}. Store it now: it is not shown again.
        {issued.previous_secret_expires_at &&
          ` The previous secret also signs until ${new Date(issued.previous_secret_expires_at).toLocaleString()}.`}
      </p>
      <code data-testid="webhook-secret">{issued.secret}</code>
      <span className="member-actions">
        <button type="button" onClick={copy}>
          Copy secret
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </span>
    </div>
  );
}

/** The endpoint's latest delivery attempts. */
function Deliveries({ slug, id }: { slug: string; id: number }) {
  const trpc = useTRPC();
  const log = useQuery(
    trpc.webhooks.deliveries.queryOptions({ project_slug: slug, id, limit: 10 }),
  );
  if (log.isPending) return <p className="muted">Loading…</p>;
  if (log.isError) return <p role="alert">{toProblem(log.error).message}</p>;
  if (log.data.items.length === 0) return <p className="muted">No deliveries yet.</p>;
  return (
    <ul className="audit" aria-label="Recent deliveries">
      {log.data.items.map((d) => (
        <li key={d.id} data-delivery={d.id}>
          <span>{new Date(d.created_at).toLocaleString()}</span>{' '}
          <span className="muted">{d.message_id}</span> attempt {d.attempt}:{' '}
          <strong>{d.status_code ?? 'no response'}</strong> in {d.duration_ms} ms
          {d.error && <span className="field-error"> {d.error}</span>}
        </li>
      ))}
    </ul>
  );
}

function stateOf(hook: Webhook): string {
  // The reason says it was disabled, and by whom or after what.
  return hook.enabled ? 'Enabled' : (hook.disabled_reason ?? 'Disabled');
}

/** A project's webhook endpoints, for its owners and admins: add, rotate, disable, delete, inspect. */
export function WebhooksSection({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [issued, setIssued] = useState<WebhookWithSecret | undefined>();
  const [open, setOpen] = useState<number | undefined>();
  const [formError, setFormError] = useState<string | undefined>();
  const hooks = useQuery(trpc.webhooks.list.queryOptions({ project_slug: slug }));
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const onError = (e: unknown) => toast('error', toProblem(e).message);

  const create = useMutation({
    mutationFn: (input: { url: string; events?: string[] }) =>
      client.webhooks.create.mutate({ project_slug: slug, ...input }),
    onSuccess: (made) => {
      setIssued(made);
      setFormError(undefined);
      refresh();
    },
    onError: (e) => setFormError(toProblem(e).message),
  });
  const rotate = useMutation({
    mutationFn: (id: number) => client.webhooks.rotateSecret.mutate({ project_slug: slug, id }),
    onSuccess: (made) => {
      setIssued(made);
      refresh();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: (id: number) => client.webhooks.delete.mutate({ project_slug: slug, id }),
    onSuccess: () => {
      toast('info', 'Webhook deleted');
      refresh();
    },
    onError,
  });
  const toggle = useMutation({
    mutationFn: (hook: Webhook) =>
      client.webhooks.update.mutate({ project_slug: slug, id: hook.id, enabled: !hook.enabled }),
    onSuccess: refresh,
    onError,
  });
  const ping = useMutation({
    mutationFn: (id: number) => client.webhooks.test.mutate({ project_slug: slug, id }),
    onSuccess: (queued) => {
      toast('info', `Ping ${queued.message_id} queued`);
      setTimeout(refresh, 1_000);
    },
    onError,
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const url = String(data.get('url') ?? '').trim();
    const events = String(data.get('events') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    if (!url) return setFormError('A URL is required');
    create.mutate({ url, ...(events.length > 0 && { events }) }, { onSuccess: () => form.reset() });
  };

  return (
    <section aria-label="Webhooks" className="webhooks">
      <h3>Webhooks</h3>
      {issued && <SecretOnce issued={issued} onDone={() => setIssued(undefined)} />}
      {hooks.isPending && <p className="muted">Loading…</p>}
      {hooks.isError && <p role="alert">{toProblem(hooks.error).message}</p>}
      {hooks.data?.items.length === 0 && <p className="muted">No webhooks yet.</p>}
      <ul className="members">
        {hooks.data?.items.map((hook) => (
          <li key={hook.id} data-webhook={hook.id}>
            <span>
              {hook.url}{' '}
              <span className="muted">{hook.events ? hook.events.join(', ') : 'all events'}</span>
            </span>
            <span
              className={hook.enabled ? 'member-role' : 'field-error'}
              data-testid="webhook-state"
            >
              {stateOf(hook)}
            </span>
            <span className="member-actions">
              <button type="button" onClick={() => setOpen(open === hook.id ? undefined : hook.id)}>
                {open === hook.id ? 'Hide deliveries' : 'Deliveries'}
              </button>
              <button type="button" onClick={() => ping.mutate(hook.id)} disabled={!hook.enabled}>
                Send test
              </button>
              <button type="button" onClick={() => toggle.mutate(hook)}>
                {hook.enabled ? 'Disable' : 'Enable'}
              </button>
              <button type="button" onClick={() => rotate.mutate(hook.id)}>
                Rotate secret
              </button>
              <button
                type="button"
                onClick={() => remove.mutate(hook.id)}
                aria-label={`Delete webhook ${hook.url}`}
              >
                Delete
              </button>
            </span>
            {open === hook.id && <Deliveries slug={slug} id={hook.id} />}
          </li>
        ))}
      </ul>
      <form className="form form-inline" noValidate onSubmit={submit}>
        <label>
          Webhook URL
          <input name="url" type="url" placeholder="https://example.com/hooks/taskflow" />
        </label>
        <label>
          Events <span className="muted">(comma-separated; empty: all)</span>
          <input name="events" placeholder="task.completed, task.blocked" />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Add webhook
        </button>
        {formError && (
          <p className="field-error" role="alert">
            {formError}
          </p>
        )}
      </form>
    </section>
  );
}
