// Reads room, name, autojoin, server and a few call settings from the query string
// (/?room=standup&name=Ana&autojoin, optionally &server=https://broker.example/peerjs,
// &video-quality=low, &sfu-threshold=always, &media-server=wss://janus.example/) and hands them
// to the element as attributes (text only). Set before the element upgrades, so autojoin sees them.
const params = new URLSearchParams(location.search);
const room = document.getElementById('room');
for (const name of ['room', 'name', 'server', 'video-quality', 'max-participants', 'sfu-threshold', 'media-server']) {
  if (params.get(name)) room.setAttribute(name, params.get(name));
}
if (params.has('autojoin')) room.setAttribute('autojoin', '');
