import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type MemberRole, ProjectCreateInput } from '@taskflow/contracts';
import { type FormEvent, useState } from 'react';
import { fieldErrors, toProblem } from '../lib/errors';
import { useTRPC, useTRPCClient } from '../lib/trpc';
import { ActorBadge } from './badges';
import { useBoard } from './board-context';
import { Dialog } from './dialog';
import { MemberPicker } from './member-picker';
import { useToast } from './toasts';
import { WebhooksSection } from './webhooks-section';

export function NewProjectDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const { setView } = useBoard();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (input: { slug: string; name: string; description: string }) =>
      client.projects.create.mutate(input),
    onSuccess: (project) => {
      void queryClient.invalidateQueries({ queryKey: trpc.projects.list.queryKey() });
      setView({ project: project.slug });
      onClose();
    },
    onError: (error) => {
      const problem = toProblem(error);
      setErrors({ ...problem.fields, form: problem.message });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const input = {
      slug: String(data.get('slug') ?? ''),
      name: String(data.get('name') ?? ''),
      description: String(data.get('description') ?? ''),
    };
    const parsed = ProjectCreateInput.safeParse(input);
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    setErrors({});
    create.mutate(parsed.data);
  };
  return (
    <Dialog title="New project" onClose={onClose}>
      <form className="form" noValidate onSubmit={submit}>
        <label>
          Name
          <input name="name" aria-invalid={errors.name ? true : undefined} />
          {errors.name && <span className="field-error">{errors.name}</span>}
        </label>
        <label>
          Slug <span className="muted">(lowercase letters, digits, hyphens)</span>
          <input name="slug" aria-invalid={errors.slug ? true : undefined} />
          {errors.slug && <span className="field-error">{errors.slug}</span>}
        </label>
        <label>
          Description
          <textarea name="description" rows={3} />
        </label>
        {errors.form && (
          <p className="field-error" role="alert">
            {errors.form}
          </p>
        )}
        <div className="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create project
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Members of a project; owners (and admins) can add, promote and remove them. */
export function MembersDialog({ slug, onClose }: { slug: string; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { me } = useBoard();
  const project = useQuery(trpc.projects.get.queryOptions({ slug }));
  const refresh = () =>
    void queryClient.invalidateQueries({ queryKey: trpc.projects.get.queryKey({ slug }) });
  const add = useMutation({
    mutationFn: (input: { worker_id: string; role: MemberRole }) =>
      client.projects.addMember.mutate({ slug, ...input }),
    onSuccess: refresh,
    onError: (e) => toast('error', toProblem(e).message),
  });
  const remove = useMutation({
    mutationFn: (worker_id: string) => client.projects.removeMember.mutate({ slug, worker_id }),
    onSuccess: refresh,
    onError: (e) => toast('error', toProblem(e).message),
  });
  const canManage = project.data?.role === 'owner' || me.role === 'admin';
  return (
    <Dialog title={`Members of ${project.data?.name ?? slug}`} onClose={onClose}>
      {project.isPending && <p className="muted">Loading…</p>}
      {project.isError && <p role="alert">{toProblem(project.error).message}</p>}
      <ul className="members">
        {project.data?.members.map((m) => (
          <li key={m.worker_id}>
            <span>
              {m.name} <ActorBadge type={m.type} /> <span className="muted">{m.worker_id}</span>
            </span>
            <span className="member-role">{m.role}</span>
            {canManage && (
              <span className="member-actions">
                <button
                  type="button"
                  onClick={() =>
                    add.mutate({
                      worker_id: m.worker_id,
                      role: m.role === 'owner' ? 'member' : 'owner',
                    })
                  }
                >
                  Make {m.role === 'owner' ? 'member' : 'owner'}
                </button>
                <button
                  type="button"
                  onClick={() => remove.mutate(m.worker_id)}
                  aria-label={`Remove ${m.name}`}
                >
                  Remove
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
      {canManage ? (
        <MemberPicker
          memberIds={new Set(project.data?.members.map((m) => m.worker_id))}
          busy={add.isPending}
          onAdd={(worker, role) => add.mutate({ worker_id: worker.id, role })}
        />
      ) : (
        <p className="muted">Only owners manage members.</p>
      )}
      {canManage && project.data && <WebhooksSection slug={slug} />}
    </Dialog>
  );
}
