import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Task, TaskCreateInput, TaskUpdateInput } from '@taskflow/contracts';
import { type FormEvent, useState } from 'react';
import { fieldErrors, toProblem } from '../lib/errors';
import { useTRPC, useTRPCClient } from '../lib/trpc';
import { useBoard } from './board-context';
import { Dialog } from './dialog';
import { useToast } from './toasts';
import { invalidateBoard } from './use-board-data';

interface Props {
  /** Edit this task; without it, create one. */
  task?: Task;
  parent?: Task;
  onClose: () => void;
}

function readForm(form: HTMLFormElement) {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '');
  const due = text('due_date');
  const tags = text('tags')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return {
    title: text('title'),
    description: text('description'),
    priority: text('priority'),
    tags,
    due_date: due ? due : null,
    assigned_to: text('assigned_to') || null,
    project_slug: text('project_slug') || undefined,
  };
}

/**
 * Create or edit a task. The same zod schema as the API checks the fields as
 * you type (after a first submit) and before sending; the server's own issues
 * land on the same fields.
 */
export function TaskForm({ task, parent, onClose }: Props) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { view, setView } = useBoard();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [touched, setTouched] = useState(false);
  const projects = useQuery(trpc.projects.list.queryOptions({ limit: 100 }));
  const projectSlug = task?.project_slug ?? parent?.project_slug;
  const [chosenProject, setChosenProject] = useState(projectSlug ?? view.project ?? '');
  const members = useQuery({
    ...trpc.projects.get.queryOptions({ slug: chosenProject }),
    enabled: chosenProject !== '',
  });

  const validate = (form: HTMLFormElement) => {
    const values = readForm(form);
    const parsed = task
      ? TaskUpdateInput.safeParse({ id: task.id, ...values, project_slug: undefined })
      : TaskCreateInput.safeParse({
          ...values,
          ...(parent && { parent_id: parent.id, project_slug: parent.project_slug }),
        });
    setErrors(parsed.success ? {} : fieldErrors(parsed.error.issues));
    return parsed.success ? values : null;
  };

  const save = useMutation({
    mutationFn: async (values: ReturnType<typeof readForm>) => {
      const common = {
        title: values.title,
        description: values.description,
        priority: values.priority as Task['priority'],
        tags: values.tags,
        due_date: values.due_date,
        assigned_to: values.assigned_to,
      };
      if (task)
        return client.tasks.update.mutate({
          id: task.id,
          expected_version: task.version,
          ...common,
        });
      return client.tasks.create.mutate({
        ...common,
        ...(parent
          ? { parent_id: parent.id, project_slug: parent.project_slug }
          : values.project_slug
            ? { project_slug: values.project_slug }
            : {}),
      });
    },
    onSuccess: (saved) => {
      void invalidateBoard(queryClient);
      void queryClient.invalidateQueries({ queryKey: trpc.tasks.list.queryKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.tasks.get.queryKey({ id: saved.id }) });
      void queryClient.invalidateQueries({ queryKey: trpc.audit.list.pathKey() });
      toast('info', task ? 'Task saved' : `Created “${saved.title}”`);
      onClose();
      if (!task && !parent) setView({ task: saved.id });
    },
    onError: (error) => {
      const problem = toProblem(error);
      setErrors(problem.fields);
      setFormError(problem.message);
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched(true);
    setFormError(null);
    const values = validate(event.currentTarget);
    if (values) save.mutate(values);
  };

  const fieldProps = (name: string) => ({
    name,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `${name}-error` : undefined,
  });
  const error = (name: string) =>
    errors[name] ? (
      <span className="field-error" id={`${name}-error`}>
        {errors[name]}
      </span>
    ) : null;

  const title = task ? 'Edit task' : parent ? `New subtask of “${parent.title}”` : 'New task';
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        className="form"
        noValidate
        onSubmit={submit}
        onChange={(e) => touched && validate(e.currentTarget)}
      >
        <label>
          Title
          <input {...fieldProps('title')} defaultValue={task?.title ?? ''} maxLength={250} />
          {error('title')}
        </label>
        <label>
          Description
          <textarea
            {...fieldProps('description')}
            defaultValue={task?.description ?? ''}
            rows={4}
          />
          {error('description')}
        </label>
        <div className="form-row">
          <label>
            Priority
            <select {...fieldProps('priority')} defaultValue={task?.priority ?? 'medium'}>
              <option value="low">Low</option>
              <option value="medium">Medium</option>
              <option value="high">High</option>
              <option value="critical">Critical</option>
            </select>
            {error('priority')}
          </label>
          <label>
            Due date
            <input
              {...fieldProps('due_date')}
              type="date"
              defaultValue={task?.due_date?.slice(0, 10) ?? ''}
            />
            {error('due_date')}
          </label>
        </div>
        {!task && !parent && (
          <label>
            Project
            <select
              {...fieldProps('project_slug')}
              value={chosenProject}
              onChange={(e) => setChosenProject(e.target.value)}
            >
              <option value="">My default project</option>
              {projects.data?.items.map((p) => (
                <option key={p.slug} value={p.slug}>
                  {p.name}
                </option>
              ))}
            </select>
            {error('project_slug')}
          </label>
        )}
        <label>
          Assignee
          <select {...fieldProps('assigned_to')} defaultValue={task?.assigned_to ?? ''}>
            <option value="">Nobody</option>
            {members.data?.members.map((m) => (
              <option key={m.worker_id} value={m.worker_id}>
                {m.name} ({m.type})
              </option>
            ))}
          </select>
          {error('assigned_to')}
        </label>
        <label>
          Tags <span className="muted">(comma-separated)</span>
          <input {...fieldProps('tags')} defaultValue={task?.tags.join(', ') ?? ''} />
          {error('tags')}
        </label>
        {formError && (
          <p className="field-error" role="alert">
            {formError}
          </p>
        )}
        <div className="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : task ? 'Save' : 'Create task'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
