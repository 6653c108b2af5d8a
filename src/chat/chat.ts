/**
 * Chat: the text rules both sides apply, and the log the element shows (bounded, with an
 * unread count). Messages travel over the data channels to everyone in the call; one from a
 * participant not verified when it arrived is kept marked so.
 */

/** Longest chat message, in characters (UTF-16 code units). */
export const MAX_CHAT_LENGTH = 2000;
/** Messages kept in the log; older ones drop off. */
export const CHAT_LOG_SIZE = 200;

/**
 * A chat text as it may be sent and shown: line breaks and tabs kept, other control and
 * bidirectional-override characters removed, trimmed. Null when nothing is left or it is too long.
 */
export function cleanChatText(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_CHAT_LENGTH) return null;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return text ? text : null;
}

/** One message of the log. */
export interface ChatMessage {
  /** Sent by this participant. */
  local: boolean;
  /** The sender's participant id. */
  id: string;
  /** The sender's display name when it was sent. */
  name: string;
  text: string;
  /** When it was sent or received here (ms since the epoch). */
  time: number;
  /**
   * Whether the sender was verified when it arrived (always true for our own). It is not updated
   * when the code is confirmed later: the mark says what was known when the message was shown.
   */
  verified: boolean;
}

/** The messages of a call, newest last, and how many came in while the panel was closed. */
export class ChatLog {
  readonly messages: ChatMessage[] = [];
  unread = 0;

  add(message: ChatMessage, seen: boolean): void {
    this.messages.push(message);
    if (this.messages.length > CHAT_LOG_SIZE) this.messages.shift();
    // Counted up to what the log holds: older messages are gone.
    if (!seen && !message.local) this.unread = Math.min(this.unread + 1, CHAT_LOG_SIZE);
  }

  markRead(): void {
    this.unread = 0;
  }

  clear(): void {
    this.messages.length = 0;
    this.unread = 0;
  }
}
