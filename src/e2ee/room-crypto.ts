/**
 * The crypto a room with a secret sets up while joining: frame encryption, the frame keys, the
 * sealing of frame keys and chat under the secret, and what every connection needs for all that.
 * It lives in a module loaded only then (encryption.ts): rooms without a secret never download it.
 */
import { ERROR_CODES } from '../constants.js';
import { RoomError } from '../room/room-error.js';
import type { RoomEncryption } from './encryption.js';

export type { RoomEncryption };

/**
 * With a room secret, frames are encrypted; a browser that cannot do that cannot join (rejects
 * with `e2ee-unsupported`). `ready` gets the encryption as soon as it exists, unless the join was
 * abandoned meanwhile (`joining` false), so that a leave can always release it.
 */
export async function startEncryption(room: string, secret: string | null, joining: () => boolean, ready: (encryption: RoomEncryption) => void): Promise<void> {
  let encryption: typeof import('./encryption.js');
  try {
    encryption = await import('./encryption.js');
  } catch (error) {
    throw new RoomError(ERROR_CODES.e2eeUnsupported, `The frame encryption module could not be loaded (${String(error)}).`);
  }
  const built = await encryption.createEncryption(room, secret, joining);
  if (built === null) throw new RoomError(ERROR_CODES.e2eeUnsupported, `This browser cannot encrypt video frames, which ${secret ? 'a room with a secret' : 'media through the SFU'} needs.`);
  if (built) ready(built);
}
