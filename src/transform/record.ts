import type { SourceEvent } from '../event.js';
import type { CalicoDocument } from './calico-document.js';
import type { DeadLetter } from './dead-letter.js';

/** One document to deliver, with the event it came from. `key` identifies it in any store. */
export type SinkRecord =
  | { kind: 'audit'; key: string; document: CalicoDocument; event: SourceEvent }
  | { kind: 'dead-letter'; key: string; document: DeadLetter; event: SourceEvent };

