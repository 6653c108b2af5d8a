/**
 * RFC 9605 Appendix C test vectors (https://www.rfc-editor.org/rfc/rfc9605#appendix-C), copied
 * verbatim, and the hex helpers that read them. Data only: sframe.test.ts runs them.
 */

/** Hex as printed in the RFC (whitespace and line breaks ignored). */
export function hex(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}
/** Lowercase hex of `bytes`, as the RFC prints it. */
export const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * RFC 9605 Appendix C.1 (header encoding/decoding), copied verbatim from
 * https://www.rfc-editor.org/rfc/rfc9605#appendix-C.1: every KID of the appendix with ctr 0,
 * every CTR length with kid 0, and a few more pairs of lengths (65 of the 289).
 */
export const C1 = `
kid: 0x0000000000000000  ctr: 0x0000000000000000  header: 00
kid: 0x0000000000000000  ctr: 0x0000000000000001  header: 01
kid: 0x0000000000000000  ctr: 0x00000000000000ff  header: 08ff
kid: 0x0000000000000000  ctr: 0x0000000000000100  header: 090100
kid: 0x0000000000000000  ctr: 0x000000000000ffff  header: 09ffff
kid: 0x0000000000000000  ctr: 0x0000000000010000  header: 0a010000
kid: 0x0000000000000000  ctr: 0x0000000000ffffff  header: 0affffff
kid: 0x0000000000000000  ctr: 0x0000000001000000  header: 0b01000000
kid: 0x0000000000000000  ctr: 0x00000000ffffffff  header: 0bffffffff
kid: 0x0000000000000000  ctr: 0x0000000100000000  header: 0c0100000000
kid: 0x0000000000000000  ctr: 0x000000ffffffffff  header: 0cffffffffff
kid: 0x0000000000000000  ctr: 0x0000010000000000  header: 0d010000000000
kid: 0x0000000000000000  ctr: 0x0000ffffffffffff  header: 0dffffffffffff
kid: 0x0000000000000000  ctr: 0x0001000000000000  header: 0e01000000000000
kid: 0x0000000000000000  ctr: 0x00ffffffffffffff  header: 0effffffffffffff
kid: 0x0000000000000000  ctr: 0x0100000000000000  header: 0f0100000000000000
kid: 0x0000000000000000  ctr: 0xffffffffffffffff  header: 0fffffffffffffffff
kid: 0x0000000000000001  ctr: 0x0000000000000000  header: 10
kid: 0x0000000000000001  ctr: 0x0000000000000001  header: 11
kid: 0x0000000000000001  ctr: 0x00000000000000ff  header: 18ff
kid: 0x0000000000000001  ctr: 0xffffffffffffffff  header: 1fffffffffffffffff
kid: 0x00000000000000ff  ctr: 0x0000000000000000  header: 80ff
kid: 0x00000000000000ff  ctr: 0x0000000000000001  header: 81ff
kid: 0x00000000000000ff  ctr: 0x00000000000000ff  header: 88ffff
kid: 0x00000000000000ff  ctr: 0x0000000000000100  header: 89ff0100
kid: 0x00000000000000ff  ctr: 0xffffffffffffffff  header: 8fffffffffffffffffff
kid: 0x0000000000000100  ctr: 0x0000000000000000  header: 900100
kid: 0x0000000000000100  ctr: 0x0000000000000001  header: 910100
kid: 0x0000000000000100  ctr: 0x00000000000000ff  header: 980100ff
kid: 0x0000000000000100  ctr: 0x0000000000000100  header: 9901000100
kid: 0x0000000000000100  ctr: 0xffffffffffffffff  header: 9f0100ffffffffffffffff
kid: 0x000000000000ffff  ctr: 0x0000000000000000  header: 90ffff
kid: 0x000000000000ffff  ctr: 0x000000000000ffff  header: 99ffffffff
kid: 0x0000000000010000  ctr: 0x0000000000000000  header: a0010000
kid: 0x0000000000010000  ctr: 0x0000000000000001  header: a1010000
kid: 0x0000000000010000  ctr: 0x0000000000010000  header: aa010000010000
kid: 0x0000000000ffffff  ctr: 0x0000000000000000  header: a0ffffff
kid: 0x0000000001000000  ctr: 0x0000000000000000  header: b001000000
kid: 0x0000000001000000  ctr: 0x0000000001000000  header: bb0100000001000000
kid: 0x00000000ffffffff  ctr: 0x0000000000000000  header: b0ffffffff
kid: 0x00000000ffffffff  ctr: 0x0000000000000001  header: b1ffffffff
kid: 0x00000000ffffffff  ctr: 0x00000000ffffffff  header: bbffffffffffffffff
kid: 0x00000000ffffffff  ctr: 0xffffffffffffffff  header: bfffffffffffffffffffffffff
kid: 0x0000000100000000  ctr: 0x0000000000000000  header: c00100000000
kid: 0x0000000100000000  ctr: 0x0000000100000000  header: cc01000000000100000000
kid: 0x000000ffffffffff  ctr: 0x0000000000000000  header: c0ffffffffff
kid: 0x0000010000000000  ctr: 0x0000000000000000  header: d0010000000000
kid: 0x0000010000000000  ctr: 0x0000010000000000  header: dd010000000000010000000000
kid: 0x0000ffffffffffff  ctr: 0x0000000000000000  header: d0ffffffffffff
kid: 0x0000ffffffffffff  ctr: 0x0000ffffffffffff  header: ddffffffffffffffffffffffff
kid: 0x0001000000000000  ctr: 0x0000000000000000  header: e001000000000000
kid: 0x0001000000000000  ctr: 0x0000000000000001  header: e101000000000000
kid: 0x0001000000000000  ctr: 0x0001000000000000  header: ee0100000000000001000000000000
kid: 0x00ffffffffffffff  ctr: 0x0000000000000000  header: e0ffffffffffffff
kid: 0x00ffffffffffffff  ctr: 0x00000000000000ff  header: e8ffffffffffffffff
kid: 0x00ffffffffffffff  ctr: 0x00ffffffffffffff  header: eeffffffffffffffffffffffffffff
kid: 0x0100000000000000  ctr: 0x0000000000000000  header: f00100000000000000
kid: 0x0100000000000000  ctr: 0x0000000000000001  header: f10100000000000000
kid: 0x0100000000000000  ctr: 0x0100000000000000  header: ff010000000000000001000000000000 00
kid: 0x0100000000000000  ctr: 0xffffffffffffffff  header: ff0100000000000000ffffffffffffff ff
kid: 0xffffffffffffffff  ctr: 0x0000000000000000  header: f0ffffffffffffffff
kid: 0xffffffffffffffff  ctr: 0x0000000000000001  header: f1ffffffffffffffff
kid: 0xffffffffffffffff  ctr: 0x00000000000000ff  header: f8ffffffffffffffffff
kid: 0xffffffffffffffff  ctr: 0x0100000000000000  header: ffffffffffffffffff01000000000000 00
kid: 0xffffffffffffffff  ctr: 0xffffffffffffffff  header: ffffffffffffffffffffffffffffffff ff
`
  .trim()
  .split('\n')
  .map((line) => {
    const match = /kid: (0x[0-9a-f]+)\s+ctr: (0x[0-9a-f]+)\s+header: ([0-9a-f ]+)$/.exec(line)!;
    return { kid: BigInt(match[1]!), ctr: BigInt(match[2]!), header: match[3]!.replace(/ /g, '') };
  });

/** RFC 9605 Appendix C.2 (AES-CTR + HMAC AEAD), verbatim. */
export const C2_COMMON = {
  key: `000102030405060708090a0b0c0d0e0f
        101112131415161718191a1b1c1d1e1f
        202122232425262728292a2b2c2d2e2f`,
  encKey: '000102030405060708090a0b0c0d0e0f',
  authKey: `101112131415161718191a1b1c1d1e1f
            202122232425262728292a2b2c2d2e2f`,
  nonce: '101112131415161718191a1b',
  aad: '4945544620534672616d65205747',
  pt: `64726166742d696574662d736672616d
       652d656e63`,
};
export const C2 = [
  { suite: 0x0001, ct: `6339af04ada1d064688a442b8dc69d5b 6bfa40f4bef0583e8081069cc60705` },
  { suite: 0x0002, ct: `6339af04ada1d064688a442b8dc69d5b 6bfa40f4be6e93b7da076927bb` },
  { suite: 0x0003, ct: `6339af04ada1d064688a442b8dc69d5b 6bfa40f4be09480509` },
];

/** RFC 9605 Appendix C.3 (SFrame encryption/decryption), verbatim; fields common to all suites first. */
export const C3_COMMON = {
  kid: 0x0000000000000123n,
  ctr: 0x0000000000004567n,
  baseKey: '000102030405060708090a0b0c0d0e0f',
  metadata: '4945544620534672616d65205747',
  aad: `99012345674945544620534672616d65
        205747`,
  pt: `64726166742d696574662d736672616d
       652d656e63`,
};
export const C3 = [
  {
    suite: 0x0001,
    keyLabel: `534672616d6520312e30205365637265 74206b65792000000000000001230001`,
    saltLabel: `534672616d6520312e30205365637265 742073616c7420000000000000012300 01`,
    secret: `d926952ca8b7ec4a95941d1ada3a5203 ceff8cceee34f574d23909eb314c40c0`,
    key: `3f7d9a7c83ae8e1c8a11ae695ab59314 b367e359fadac7b9c46b2bc6f81f46e1 6b96f0811868d59402b7e870102720b3`,
    salt: '50b29329a04dc0f184ac3168',
    nonce: '50b29329a04dc0f184ac740f',
    ct: `9901234567449408b6f490086165b9d6 f62b24ae1a59a56486b4ae8ed036b889 12e24f11`,
  },
  {
    suite: 0x0002,
    keyLabel: `534672616d6520312e30205365637265 74206b65792000000000000001230002`,
    saltLabel: `534672616d6520312e30205365637265 742073616c7420000000000000012300 02`,
    secret: `d926952ca8b7ec4a95941d1ada3a5203 ceff8cceee34f574d23909eb314c40c0`,
    key: `e2ec5c797540310483b16bf6e7a570d2 a27d192fe869c7ccd8584a8d9dab9154 9fbe553f5113461ec6aa83bf3865553e`,
    salt: 'e68ac8dd3d02fbcd368c5577',
    nonce: 'e68ac8dd3d02fbcd368c1010',
    ct: `99012345673f31438db4d09434e43afa 0f8a2f00867a2be085046a9f5cb4f101 d607`,
  },
  {
    suite: 0x0003,
    keyLabel: `534672616d6520312e30205365637265 74206b65792000000000000001230003`,
    saltLabel: `534672616d6520312e30205365637265 742073616c7420000000000000012300 03`,
    secret: `d926952ca8b7ec4a95941d1ada3a5203 ceff8cceee34f574d23909eb314c40c0`,
    key: `2c5703089cbb8c583475e4fc461d97d1 8809df79b6d550f78eb6d50ffa80d892 11d57909934f46f5405e38cd583c69fe`,
    salt: '38c16e4f5159700c00c7f350',
    nonce: '38c16e4f5159700c00c7b637',
    ct: `990123456717fc8af28a5a695afcfc6c 8df6358a17e26b2fcb3bae32e443`,
  },
  {
    suite: 0x0004,
    keyLabel: `534672616d6520312e30205365637265 74206b65792000000000000001230004`,
    saltLabel: `534672616d6520312e30205365637265 742073616c7420000000000000012300 04`,
    secret: `d926952ca8b7ec4a95941d1ada3a5203 ceff8cceee34f574d23909eb314c40c0`,
    key: 'd34f547f4ca4f9a7447006fe7fcbf768',
    salt: '75234edefe07819026751816',
    nonce: '75234edefe07819026755d71',
    ct: `9901234567b7412c2513a1b66dbb4884 1bbaf17f598751176ad847681a69c6d0 b091c07018ce4adb34eb`,
  },
  {
    suite: 0x0005,
    keyLabel: `534672616d6520312e30205365637265 74206b65792000000000000001230005`,
    saltLabel: `534672616d6520312e30205365637265 742073616c7420000000000000012300 05`,
    secret: `0fc3ea6de6aac97a35f194cf9bed94d4 b5230f1cb45a785c9fe5dce9c188938a
             b6ba005bc4c0a19181599e9d1bcf7b74 aca48b60bf5e254e546d809313e083a3`,
    key: `d3e27b0d4a5ae9e55df01a70e6d4d28d 969b246e2936f4b7a5d9b494da6b9633`,
    salt: '84991c167b8cd23c93708ec7',
    nonce: '84991c167b8cd23c9370cba0',
    ct: `990123456794f509d36e9beacb0e261d 99c7d1e972f1fed787d4049f17ca2135 3c1cc24d56ceabced279`,
  },
];
