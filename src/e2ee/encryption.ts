/**
 * Frame encryption, as one piece the room loads only when it has a secret: pages whose rooms
 * have none never download the SFrame codec, its worker, the key schedule or the sealing of keys
 * and chat, nor the code that puts them together here.
 */
import type { FrameProtector } from '../link/link-media.js';
import { FrameCrypto, pinCodecsForE2EE } from './frame-crypto.js';
import { FrameKeys } from './frame-keys.js';
import { createSealer, type Sealer } from './sealed.js';

/** What a room with a secret (or whose media goes through the SFU) encrypts with. */
export interface RoomEncryption {
  /** Seals frame keys and chat under the secret (null without one: the links' DTLS carries them). */
  sealer: Sealer | null;
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
 * The encryption of a room with this secret, or null when this browser cannot encrypt video
 * frames. `joining` is asked once the keys are derived: false means the join was abandoned
 * meanwhile, and no worker is started (resolves to undefined).
 */
export async function createEncryption(room: string, secret: string | null, joining: () => boolean): Promise<RoomEncryption | null | undefined> {
  const mode = FrameCrypto.availableMode();
  if (!mode) return null;
  const sealer = secret ? await createSealer(room, secret) : null;
  if (!joining()) return undefined;
  const frameCrypto = new FrameCrypto({ mode });
  return {
    sealer,
    frameCrypto,
    frameKeys: new FrameKeys(frameCrypto),
    rtc: FrameCrypto.rtcConfig(mode),
    frames: {
      protectSender: (sender) => frameCrypto.protectSender(sender),
      protectReceiver: (receiver, senderId) => frameCrypto.protectReceiver(receiver, senderId),
      pinCodecs: pinCodecsForE2EE,
    },
  };
}
