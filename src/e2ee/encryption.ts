/**
 * Frame encryption, as one piece the room loads only when it has a secret: pages whose rooms
 * have none never download the SFrame codec, its worker, the key schedule or the sealing of keys
 * and chat.
 */
export { FrameCrypto, pinCodecsForE2EE } from './frame-crypto.js';
export { FrameKeys } from './frame-keys.js';
export { createSealer } from './sealed.js';
