export { VideoRoomElement } from './video-room.component.js';
export { EVENTS, ATTRIBUTES, ERROR_CODES, STATES, DEFAULT_MAX_PARTICIPANTS } from './constants.js';
export type { RoomState, ErrorCode } from './constants.js';
export type { ParticipantInfo, VideoRoomEventMap } from './events.js';
