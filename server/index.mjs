// `npm start`: serves the demo at /, the bundle at /video-room.js and a PeerServer at /peerjs.
import { startServer } from './app.mjs';

const port = Number(process.env.PORT ?? 8080);
const { url, close } = await startServer({ port });
console.log(`video-room demo on ${url}/  (PeerServer at ${url}/peerjs)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await close();
    process.exit(0);
  });
}
