// The React demo (demo/react.html): a React 19 component hosting <video-room>, bundled with
// React by rollup.demo.config.mjs into build/demo/react-app.js. Plain React.createElement, no
// JSX, so no Babel.
//
// React 19 hands a custom element each prop the element has as a property (so
// `maxParticipants` arrives as the number 4, and `autojoin` as `true`), anything else as an
// attribute, and listens to its events through `on` + the event's name (`onvr-joined`).
//
// Reads room, name, server and autojoin from the query string, as the other demo pages do
// (/react.html?room=standup&name=Ana&autojoin, optionally &server=https://broker.example/peerjs).
import { createElement as h, useCallback, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
// The element as an app that installed the package imports it (`video-room/video-room.js`).
// The import defines <video-room> before React first renders it, so React sees its properties.
import '../dist/video-room.js';

const params = new URLSearchParams(location.search);
const config = {
  room: params.get('room') || 'demo',
  name: params.get('name') || '',
  server: params.get('server'),
  autojoin: params.has('autojoin'),
};

/** The page's own wording for the element's empty room (any text can be replaced). */
const strings = { empty: 'Nobody else yet: open this page in another tab to join.' };

/** Who is in the call, from the element's events: `{ id, name, local }`, this participant first. */
function useParticipants() {
  const [people, setPeople] = useState([]);
  const [error, setError] = useState(null);
  const handlers = {
    'onvr-joined': useCallback((event) => {
      const el = event.currentTarget;
      setError(null);
      setPeople([
        { id: event.detail.id, name: el.name, local: true },
        ...el.participants.map((p) => ({ id: p.id, name: p.name, local: false })),
      ]);
    }, []),
    'onvr-peer-joined': useCallback((event) => {
      const { id, name } = event.detail.participant;
      setPeople((list) => [...list.filter((p) => p.id !== id), { id, name, local: false }]);
    }, []),
    'onvr-peer-left': useCallback((event) => {
      const { id } = event.detail.participant;
      setPeople((list) => list.filter((p) => p.id !== id));
    }, []),
    'onvr-left': useCallback(() => setPeople([]), []),
    'onvr-error': useCallback((event) => setError(event.detail.message), []),
  };
  return { people, error, handlers };
}

function App() {
  const room = useRef(null);
  const [state, setState] = useState('idle');
  const { people, error, handlers } = useParticipants();
  const onState = useCallback((event) => setState(event.detail.state), []);
  const inCall = state === 'joining' || state === 'joined';
  // The element's own methods, through a ref.
  const toggle = () => (inCall ? room.current.leave() : void room.current.join());

  return h(
    'div',
    { className: 'with-sidebar' },
    h('video-room', {
      ref: room,
      room: config.room,
      name: config.name,
      server: config.server,
      autojoin: config.autojoin,
      // A property, not an attribute: as an attribute it would have to be `max-participants`.
      maxParticipants: 4,
      // An object property: texts of the page's own.
      strings,
      'onvr-state-change': onState,
      ...handlers,
    }),
    h(
      'aside',
      null,
      h('button', { type: 'button', onClick: toggle }, inCall ? 'Leave' : 'Join'),
      h('h2', null, `In the call (${people.length})`),
      h(
        'ul',
        { className: 'participants' },
        people.map((p) => h('li', { key: p.id }, p.local ? `${p.name || 'You'} (you)` : p.name || 'A guest')),
      ),
      error && h('p', { role: 'alert' }, error),
    ),
  );
}

createRoot(document.getElementById('app')).render(h(App));
