import { useQuery } from '@tanstack/react-query';
import type { MemberRole, Worker } from '@taskflow/contracts';
import { type KeyboardEvent, useId, useState } from 'react';
import { toProblem } from '../lib/errors';
import { useTRPC } from '../lib/trpc';
import { useDebounced } from '../lib/use-debounced';
import { ActorBadge } from './badges';

interface MemberPickerProps {
  /** Already members: not offered again. */
  memberIds: ReadonlySet<string>;
  onAdd: (worker: Worker, role: MemberRole) => void;
  busy: boolean;
}

/**
 * Finds a person or an agent to add: part of a name among the workers one shares a
 * project with, or anyone's whole email address (a combobox over workers.list q).
 */
export function MemberPicker({ memberIds, onAdd, busy }: MemberPickerProps) {
  const trpc = useTRPC();
  const listId = useId();
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [picked, setPicked] = useState<Worker | null>(null);
  const [role, setRole] = useState<MemberRole>('member');
  const q = useDebounced(text.trim(), 250);
  const found = useQuery(
    trpc.workers.list.queryOptions({ q, limit: 8 }, { enabled: open && q.length > 0 }),
  );
  const options = (found.data?.items ?? []).filter((w) => !memberIds.has(w.id));
  const expanded = open && q.length > 0 && !found.isPending;

  const pick = (worker: Worker) => {
    setPicked(worker);
    setText(worker.name);
    setOpen(false);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(true);
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (options.length ? (i + step + options.length) % options.length : 0));
    } else if (e.key === 'Enter' && expanded && options[active]) {
      e.preventDefault();
      pick(options[active]);
    } else if (e.key === 'Escape' && open) {
      // Closes the list, not the dialog around it.
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  };

  return (
    <form
      className="form form-inline member-picker"
      aria-label="Add a member"
      onSubmit={(e) => {
        e.preventDefault();
        if (!picked) return;
        onAdd(picked, role);
        setPicked(null);
        setText('');
      }}
    >
      <label>
        Person or agent
        <input
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && options[active] ? `${listId}-${active}` : undefined}
          placeholder="Name or email"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setPicked(null);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
        />
      </label>
      {expanded && (
        <div className="picker-options" id={listId} role="listbox" aria-label="Matching workers">
          {found.isError && <p role="alert">{toProblem(found.error).message}</p>}
          {options.length === 0 && !found.isError && (
            <p className="muted">No one found (strangers by their whole email address)</p>
          )}
          {options.map((worker, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox's input handles the keys (aria-activedescendant)
            <div
              key={worker.id}
              tabIndex={-1}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(worker)}
            >
              {worker.name} <ActorBadge type={worker.type} />{' '}
              <span className="muted">{worker.id}</span>
            </div>
          ))}
        </div>
      )}
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as MemberRole)}>
          <option value="member">Member</option>
          <option value="owner">Owner</option>
        </select>
      </label>
      <button type="submit" className="primary" disabled={!picked || busy}>
        {picked ? `Add ${picked.name}` : 'Add member'}
      </button>
    </form>
  );
}
