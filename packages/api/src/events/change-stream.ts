import type { ChangeEvent, ChangeFilter } from '@taskflow/contracts';
import type { ChangeHub, StreamSlot } from './change-hub';
import type { MembershipView } from './visibility';

const STREAM_PAGE = 200;

/**
 * One reader's events after `after`, in id order, for as long as
 * the slot stays open. Catching up reads the database in pages and then the hub's ring;
 * both stop at the hub's settled horizon, and the cursor only moves forward, so the
 * switch to live delivery has no gap and no duplicate.
 */
export async function* changeStream(
  hub: ChangeHub,
  slot: StreamSlot,
  view: MembershipView,
  filter: ChangeFilter,
  after: number,
): AsyncGenerator<ChangeEvent, void, undefined> {
  try {
    let cursor = after;
    while (!slot.signal.aborted) {
      const batch = await hub.eventsAfter(cursor, filter, view, STREAM_PAGE);
      for (const event of batch.events) {
        if (slot.signal.aborted) return;
        yield event;
      }
      cursor = batch.cursor;
      if (cursor >= hub.horizon) await hub.waitForChange(cursor, slot.signal);
    }
  } finally {
    slot.release();
  }
}
