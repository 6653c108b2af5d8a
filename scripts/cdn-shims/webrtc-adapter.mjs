// Stands in for `webrtc-adapter` in the CDN bundle only (see rollup.config.mjs). PeerJS imports
// the adapter for its shims of pre-2020 browsers, which the element does not support anyway,
// and reads nothing from it but `browserDetails`, to refuse browsers it does not know. This
// gives the same answer as the adapter's detectBrowser for current Chromium, Firefox and
// Safari, for about 0.3 KB instead of 13 KB gzipped (the adapter and the `sdp` package it pulls).
function detect() {
  const nav = typeof navigator === 'undefined' ? undefined : navigator;
  const ua = nav?.userAgent ?? '';
  const number = (re, group = 1) => Number.parseInt(re.exec(ua)?.[group] ?? '', 10) || null;
  const chromium = nav?.userAgentData?.brands?.find((brand) => brand.brand === 'Chromium');
  if (chromium && Number.parseInt(chromium.version, 10) >= 90) return { browser: 'chrome', version: Number.parseInt(chromium.version, 10) };
  if (nav && 'mozGetUserMedia' in nav) return { browser: 'firefox', version: number(/Firefox\/(\d+)\./) };
  if (nav && 'webkitGetUserMedia' in nav) return { browser: 'chrome', version: number(/Chrom(e|ium)\/(\d+)\./, 2) };
  if (typeof RTCPeerConnection !== 'undefined' && /AppleWebKit\/(\d+)\./.test(ua)) return { browser: 'safari', version: number(/AppleWebKit\/(\d+)\./) };
  return { browser: 'Not a supported browser.', version: null };
}

export default { browserDetails: detect() };
