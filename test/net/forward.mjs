// Runs inside a home namespace, beside Firefox: passes connections on unix socket `argv[2]` to
// 127.0.0.1:`argv[3]` of the namespace, where Firefox's WebDriver BiDi listens. A unix socket is
// a file, seen from every namespace: the test process connects to it from its own (browser.mjs).
import net from 'node:net';

const [socketPath, port] = process.argv.slice(2);
net
  .createServer((inner) => {
    const outer = net.connect(Number(port), '127.0.0.1');
    inner.pipe(outer).pipe(inner);
    const end = () => {
      inner.destroy();
      outer.destroy();
    };
    inner.on('error', end).on('close', end);
    outer.on('error', end).on('close', end);
  })
  .listen(socketPath);
