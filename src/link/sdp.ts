/**
 * The little we read from SDP: which m-lines carry the camera and microphone. The dialer
 * negotiates them first, so they are the first audio and first video m-lines; any later video
 * m-line is a screen share. m-lines keep their order for the life of a connection.
 */

/** The mid of the first audio and the first video m-line of a session description. */
export function cameraMids(sdp: string | undefined): { audio?: string; video?: string } {
  const mids: { audio?: string; video?: string } = {};
  let kind: string | null = null;
  for (const line of (sdp ?? '').split(/\r?\n/)) {
    if (line.startsWith('m=')) kind = line.slice(2).split(' ')[0] ?? null;
    else if (line.startsWith('a=mid:') && (kind === 'audio' || kind === 'video') && mids[kind] === undefined)
      mids[kind] = line.slice('a=mid:'.length).trim();
  }
  return mids;
}
