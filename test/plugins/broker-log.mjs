// A web-test-runner plugin that lets tests see what the real PeerServer saw: the ids that
// connected, those whose socket closed, and every message it relayed. It only listens to the stock server's own events.

/** @param {import('express').Express & import('node:events').EventEmitter} peerServer */
export function brokerLogPlugin(peerServer) {
  const connected = [];
  const relayed = [];
  const disconnected = [];
  peerServer.on('connection', (client) => connected.push(client.getId()));
  peerServer.on('disconnect', (client) => disconnected.push(client.getId()));
  peerServer.on('message', (client, message) => {
    const sdp = message?.payload?.sdp?.sdp;
    relayed.push({
      type: message?.type,
      src: client.getId(),
      dst: message?.dst,
      // The kinds of the m-lines of a relayed offer or answer.
      media: typeof sdp === 'string' ? [...sdp.matchAll(/^m=(\w+)/gm)].map((m) => m[1]) : undefined,
    });
  });
  return {
    name: 'vr-broker-log',
    executeCommand({ command, payload }) {
      if (command !== 'vr-broker-log') return undefined;
      const ids = new Set(payload?.ids ?? []);
      return {
        connected: connected.filter((id) => ids.size === 0 || ids.has(id)),
        disconnected: disconnected.filter((id) => ids.size === 0 || ids.has(id)),
        relayed: relayed.filter((m) => ids.has(m.src) || ids.has(m.dst)),
      };
    },
  };
}
