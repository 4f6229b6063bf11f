import type { LiveState } from '../lib/use-live-board';

const LABELS: Record<LiveState, string> = {
  live: 'Live',
  connecting: 'Reconnecting…',
  offline: 'Offline: reload to retry',
};

/** The board's live connection, where the user can see it at a glance. */
export function LiveStatus({ state }: { state: LiveState }) {
  return (
    <span className={`live-status live-${state}`} role="status" data-testid="live-status">
      {LABELS[state]}
    </span>
  );
}
