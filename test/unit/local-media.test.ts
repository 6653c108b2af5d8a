import { expect } from '@open-wc/testing';
import { ERROR_CODES } from '../../src/constants.js';
import { classifyMediaError } from '../../src/media/local-media.js';

describe('media error classification', () => {
  it('maps each getUserMedia failure to its documented code', () => {
    const cases: [string, string][] = [
      ['NotAllowedError', ERROR_CODES.mediaPermissionDenied],
      ['SecurityError', ERROR_CODES.mediaPermissionDenied],
      ['NotFoundError', ERROR_CODES.mediaNotFound],
      ['NotReadableError', ERROR_CODES.mediaInUse],
      ['AbortError', ERROR_CODES.mediaInUse],
      ['OverconstrainedError', ERROR_CODES.mediaConstraints],
      ['TypeError', ERROR_CODES.mediaFailed],
    ];
    for (const [name, code] of cases) {
      const error = classifyMediaError(new DOMException('x', name));
      expect(error.code, name).to.equal(code);
      expect(error.message.length).to.be.greaterThan(0);
    }
    expect(classifyMediaError('weird').code).to.equal(ERROR_CODES.mediaFailed);
  });
});
