// Stands in for `peerjs-js-binarypack` in the CDN bundle only (see rollup.config.mjs): the
// element's data channels use PeerJS's `raw` serialization, so BinaryPack is never called.
function unused() {
  throw new Error('video-room: BinaryPack serialization is not included in this bundle');
}

export const pack = unused;
export const unpack = unused;
