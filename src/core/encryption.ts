/**
 * Frame encryption, as one piece the room loads only when it has a secret: pages whose rooms
 * have none never download the SFrame codec, its worker or the key schedule.
 */
export { FrameCrypto, pinCodecsForE2EE } from './frame-crypto.js';
export { FrameKeys } from './frame-keys.js';
