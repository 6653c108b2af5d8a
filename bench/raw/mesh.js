// The baseline of `npm run bench`: the plainest full mesh PeerJS allows, with nothing of
// the element's (no rendezvous, no roster, no encryption, no UI framework).
//
// Query: ?port=<PeerServer port>&run=<unique run tag>&i=<this page's index>[&audio=0].
// Ids are known in advance (rawbench-<run>-<k>); page i calls every page j < i, once per pair,
// and answers every incoming call with its own stream. Each remote stream goes into a muted
// autoplaying <video class="remote">, which the benchmark's probe watches for decoded frames.
(() => {
  const params = new URLSearchParams(location.search);
  const port = Number(params.get('port'));
  const run = params.get('run');
  const me = Number(params.get('i'));
  const idOf = (k) => `rawbench-${run}-${k}`;

  // Surfaced to the benchmark (it reports failures and retries rather than hiding them).
  const status = (window.__rawMesh = { errors: [], retries: 0 });

  const peer = new peerjs.Peer(idOf(me), {
    host: '127.0.0.1',
    port,
    path: '/peerjs',
    key: 'peerjs',
    secure: false,
    config: { iceServers: [] },
  });
  // Media and signalling start together; both are needed before anything is sent.
  // `audio=0`: no microphone (asked for here: PeerJS's adapter refuses a stream without the audio it asked for).
  const media = navigator.mediaDevices.getUserMedia({ audio: params.get('audio') !== '0', video: true });
  const open = new Promise((resolve) => peer.once('open', resolve));

  /** @type {Map<string, HTMLVideoElement>} */
  const videos = new Map();
  function show(remoteId, stream) {
    // PeerJS fires `stream` once per track, with the same MediaStream: attach it once.
    let video = videos.get(remoteId);
    if (!video) {
      video = document.createElement('video');
      video.className = 'remote';
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true;
      videos.set(remoteId, video);
      document.body.append(video);
    }
    if (video.srcObject !== stream) video.srcObject = stream;
  }

  function call(remoteId, stream) {
    const connection = peer.call(remoteId, stream);
    connection.on('stream', (remote) => show(remoteId, remote));
  }

  peer.on('call', async (connection) => {
    connection.on('stream', (remote) => show(connection.peer, remote));
    connection.answer(await media);
  });

  peer.on('error', (error) => {
    status.errors.push(`${error.type}: ${error.message}`);
    // PeerServer holds an OFFER for an id that is not connected yet for only 5 s, then answers
    // EXPIRE (peer-unavailable). All pages load together, so this should not happen; if it does,
    // call again rather than hang, and let the benchmark count it.
    const match = error.type === 'peer-unavailable' && /rawbench-\S+/.exec(error.message);
    if (match && status.retries < 20) {
      status.retries++;
      setTimeout(async () => call(match[0], await media), 100);
    }
  });

  Promise.all([media, open]).then(([stream]) => {
    for (let j = 0; j < me; j++) call(idOf(j), stream);
  }, (error) => status.errors.push(`setup: ${error}`));
})();
