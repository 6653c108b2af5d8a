/**
 * The crypto a room with a secret sets up while joining: frame encryption (a module loaded only
 * then, see encryption.ts: rooms without a secret never download it), the frame keys, the sealing
 * of frame keys and chat under the secret, and what every connection needs for all that.
 */
import { ERROR_CODES } from '../constants.js';
import type { FrameProtector } from '../link/peer-link.js';
import { RoomError } from '../room/room-error.js';
import type { FrameCrypto } from './frame-crypto.js';
import type { FrameKeys } from './frame-keys.js';
import type { Sealer } from './sealed.js';

/** What a room with a secret encrypts with. */
export interface RoomEncryption {
  /** Seals frame keys and chat under the secret. */
  sealer: Sealer;
  /** Encrypts and decrypts media frames (its worker). */
  frameCrypto: FrameCrypto;
  /** Our frame keys, given to each verified peer; theirs, kept per link. */
  frameKeys: FrameKeys;
  /** What every RTCPeerConnection needs for frame encryption. */
  rtc: RTCConfiguration;
  /** Frame encryption as a link applies it to its senders and receivers. */
  frames: FrameProtector;
}

/**
 * With a room secret, frames are encrypted; a browser that cannot do that cannot join (rejects
 * with `e2ee-unsupported`). `ready` gets the encryption as soon as it exists, unless the join was
 * abandoned meanwhile (`joining` false), so that a leave can always release it.
 */
export async function startEncryption(room: string, secret: string, joining: () => boolean, ready: (encryption: RoomEncryption) => void): Promise<void> {
  let encryption: typeof import('./encryption.js');
  try {
    encryption = await import('./encryption.js');
  } catch (error) {
    throw new RoomError(ERROR_CODES.e2eeUnsupported, `The frame encryption module could not be loaded (${String(error)}).`);
  }
  const { FrameCrypto, FrameKeys, pinCodecsForE2EE, createSealer } = encryption;
  const mode = FrameCrypto.availableMode();
  if (!mode) throw new RoomError(ERROR_CODES.e2eeUnsupported, 'This browser cannot encrypt video frames, which a room with a secret needs.');
  const sealer = await createSealer(room, secret);
  if (!joining()) return;
  const frameCrypto = new FrameCrypto({ mode });
  ready({
    sealer,
    frameCrypto,
    frameKeys: new FrameKeys(frameCrypto),
    rtc: FrameCrypto.rtcConfig(mode),
    frames: {
      protectSender: (sender) => frameCrypto.protectSender(sender),
      protectReceiver: (receiver, senderId) => frameCrypto.protectReceiver(receiver, senderId),
      pinCodecs: pinCodecsForE2EE,
    },
  });
}
