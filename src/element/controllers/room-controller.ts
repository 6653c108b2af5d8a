/**
 * Connects the element to a core Room: creates one per join, re-renders the host on every
 * room event and leaves the room when the host disconnects.
 *
 * The call itself (the mesh, PeerJS, verification) is a chunk of its own, loaded on the first
 * join, or ahead of it once the pre-join panel is drawn and the page is idle: what a page loads
 * before it can draw is the element alone.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Room, RoomConfig, RoomEvents } from '../../room/room.js';
import { ERROR_CODES, type RoomState } from '../../constants.js';
import { RoomError } from '../../room/room-error.js';

type Handlers = { [K in keyof RoomEvents]?: (detail: RoomEvents[K]) => void };

type RoomModule = typeof import('../../room/room.js');
let roomModule: Promise<RoomModule> | null = null;
/** The call's code once loaded: a join then creates its room at once. */
let loadedRoom: RoomModule | null = null;

/** Loads the call's code (once per page). */
export function loadRoom(): Promise<RoomModule> {
  roomModule ??= import('../../room/room.js').then(
    (module) => (loadedRoom = module),
    (error: unknown) => {
      // A failed fetch (a network blip) may work on the next join.
      roomModule = null;
      throw error;
    },
  );
  return roomModule;
}

export class RoomController implements ReactiveController {
  /** The room of the current (or last) join. */
  room: Room | null = null;
  private unsubscribe: (() => void)[] = [];
  /** A join waiting for the call's code: its number, so that a leave meanwhile cancels it. */
  private loading = 0;
  private joins = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly handlers: Handlers,
  ) {
    host.addController(this);
  }

  /** The current room state, `idle` before the first join; `joining` while the call's code loads. */
  get state(): RoomState {
    if (this.loading) return 'joining';
    return this.room?.state ?? 'idle';
  }

  hostDisconnected(): void {
    this.leave();
  }

  /**
   * Creates a room and joins it. `config` is read once the call's code is there, so that it has
   * what changed meanwhile (a mute, a name); `created` gets the room before it joins.
   */
  async join(config: () => RoomConfig, created?: (room: Room) => void): Promise<void> {
    this.detach();
    const join = ++this.joins;
    let module = loadedRoom;
    if (!module) {
      this.loading = join;
      this.host.requestUpdate();
      try {
        module = await loadRoom();
      } catch (error) {
        throw new RoomError(ERROR_CODES.loadFailed, `The call's code could not be loaded (${String(error)}); joining again tries again.`);
      } finally {
        if (this.loading === join) this.loading = 0;
      }
      // Left (or joined again) while the code was loading.
      if (join !== this.joins) return;
    }
    const room = new module.Room(config());
    this.room = room;
    const subscribe = <K extends keyof RoomEvents>(name: K) =>
      room.on(name, (detail) => {
        this.handlers[name]?.(detail);
        this.host.requestUpdate();
      });
    this.unsubscribe = [
      subscribe('state'),
      subscribe('peer-joined'),
      subscribe('peer-left'),
      subscribe('peer-updated'),
      subscribe('peer-track'),
      subscribe('peer-screen'),
      subscribe('peer-verified'),
      subscribe('peer-code'),
      subscribe('verification-failed'),
      subscribe('broker'),
      subscribe('peer-reconnecting'),
      subscribe('peer-quality'),
      subscribe('chat'),
      subscribe('error'),
    ];
    created?.(room);
    return room.join();
  }

  /** Leaves the current room, if any, or cancels a join whose code is still loading. */
  leave(): void {
    if (this.loading) {
      this.joins++;
      this.loading = 0;
      this.host.requestUpdate();
    }
    this.room?.leave();
    this.detach();
  }

  private detach(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }
}
