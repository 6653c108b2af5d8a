/** The error `Room.join()` rejects with; apart from room.ts so the element can know it without loading the call. */
import type { ErrorCode } from '../constants.js';

/** Error with a public code, thrown by `join()`. */
export class RoomError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
