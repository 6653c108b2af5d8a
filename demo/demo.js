// Reads room, name, autojoin and server from the query string
// (/?room=standup&name=Ana&autojoin, optionally &server=https://broker.example/peerjs)
// and hands them to the element. Set before the element upgrades, so autojoin sees them.
const params = new URLSearchParams(location.search);
const room = document.getElementById('room');
if (params.get('room')) room.setAttribute('room', params.get('room'));
if (params.get('name')) room.setAttribute('name', params.get('name'));
if (params.get('server')) room.setAttribute('server', params.get('server'));
if (params.has('autojoin')) room.setAttribute('autojoin', '');
