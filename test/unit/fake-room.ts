/**
 * A stand-in for the core Room in unit tests: the same events, typed against RoomEvents and
 * driven by hand, and the few members the store reads and calls. No connection is opened.
 */
import type { RoomState } from '../../src/constants.js';
import type { Participant, Room, RoomEvents } from '../../src/room/room.js';
import { TypedEventTarget } from '../../src/util/typed-event-target.js';

export class FakeRoom extends TypedEventTarget<RoomEvents> {
  readonly id = 'me';
  state: RoomState = 'idle';
  verification: 'secret' | 'sas' = 'sas';
  readonly people = new Map<string, Participant>();
  /** What the store told the room, in order. */
  readonly calls: string[] = [];

  get participants(): Participant[] {
    return [...this.people.values()];
  }

  /** Fires a room event, as the room does after changing its own state. */
  fire<K extends keyof RoomEvents & string>(type: K, detail: RoomEvents[K]): void {
    this.emit(type, detail);
  }

  setState(state: RoomState): void {
    this.state = state;
    this.fire('state', { state });
  }

  /** A participant joins, as the room reports it. */
  join(id: string, changes: Partial<Participant> = {}): Participant {
    const participant: Participant = {
      id,
      name: id.toUpperCase(),
      audioMuted: false,
      videoMuted: false,
      screenSharing: false,
      stream: new MediaStream(),
      screenStream: new MediaStream(),
      verified: false,
      code: null,
      quality: 'good',
      ...changes,
    };
    this.people.set(id, participant);
    this.fire('peer-joined', { participant });
    return participant;
  }

  leave(id: string, reason: 'left' | 'lost' = 'left'): void {
    const participant = this.people.get(id)!;
    this.people.delete(id);
    this.fire('peer-left', { participant, reason });
  }

  updateLocalMedia(stream: MediaStream | null): void {
    this.calls.push(`media:${stream ? 'stream' : 'none'}`);
  }

  setScreenTrack(track: MediaStreamTrack | null): void {
    this.calls.push(`screen:${track ? 'on' : 'off'}`);
  }

  /** The fake as the store sees it (it reads and calls only what is above). */
  asRoom(): Room {
    return this as unknown as Room;
  }
}

/** A live video track without a camera (a canvas's), for streams that need one. */
export function videoTrack(): MediaStreamTrack {
  const canvas = document.createElement('canvas');
  canvas.getContext('2d');
  return canvas.captureStream(1).getVideoTracks()[0]!;
}
