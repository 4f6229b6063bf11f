import type { Me, Worker } from '@taskflow/contracts';
import { createContext, useContext } from 'react';
import type { BoardView } from '../lib/url-state';
import type { CardMoves } from './use-card-moves';

export interface BoardContextValue {
  me: Me;
  workers: Map<string, Worker>;
  view: BoardView;
  setView: (patch: Partial<BoardView>, mode?: 'push' | 'replace') => void;
  moves: CardMoves;
}

export const BoardContext = createContext<BoardContextValue | null>(null);

export function useBoard(): BoardContextValue {
  const value = useContext(BoardContext);
  if (!value) throw new Error('useBoard outside the board');
  return value;
}
