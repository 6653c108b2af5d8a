import { expect } from '@open-wc/testing';
import { ATTRIBUTES, ERROR_CODES, ERROR_CODE_DOCS } from '../../src/constants.js';
import { VideoRoomElement } from '../../src/video-room.component.js';

describe('names in one place', () => {
  it('the element observes exactly the attributes of the ATTRIBUTES map', () => {
    expect([...VideoRoomElement.observedAttributes].sort()).to.deep.equal(Object.values(ATTRIBUTES).sort());
  });

  it('every error code is documented, and every documented code exists', () => {
    expect(Object.values(ERROR_CODES).sort()).to.deep.equal(Object.keys(ERROR_CODE_DOCS).sort());
  });
});
