/** Normalises a room name so that visually equal names meet in the same room. */
export function normaliseRoomName(room: string): string {
  return room.normalize('NFC').trim();
}
