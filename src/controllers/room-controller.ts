/**
 * Connects the element to a core Room: creates one per join, re-renders the host on every
 * room event and leaves the room when the host disconnects.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Room, type RoomConfig, type RoomEvents } from '../core/room.js';
import type { RoomState } from '../constants.js';

type Handlers = { [K in keyof RoomEvents]?: (detail: RoomEvents[K]) => void };

export class RoomController implements ReactiveController {
  /** The room of the current (or last) join. */
  room: Room | null = null;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly handlers: Handlers,
  ) {
    host.addController(this);
  }

  /** The current room state, `idle` before the first join. */
  get state(): RoomState {
    return this.room?.state ?? 'idle';
  }

  hostDisconnected(): void {
    this.leave();
  }

  /** Creates a room and joins it. */
  join(config: RoomConfig): Promise<void> {
    this.detach();
    const room = new Room(config);
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
    return room.join();
  }

  /** Leaves the current room, if any. */
  leave(): void {
    this.room?.leave();
    this.detach();
  }

  private detach(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }
}
