// The raw baseline of the pre-join figure: what a page with PeerJS alone draws before a call,
// the camera preview, a name field and a Join button (it never joins).
(() => {
  if (!window.peerjs?.Peer) throw new Error('PeerJS did not load');
  const video = Object.assign(document.createElement('video'), { autoplay: true, muted: true, playsInline: true });
  const name = Object.assign(document.createElement('input'), { name: 'name', placeholder: 'Your name' });
  const join = Object.assign(document.createElement('button'), { id: 'join', type: 'button', textContent: 'Join' });
  document.body.append(video, name, join);
  navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then((stream) => (video.srcObject = stream), () => {});
})();
