import { describe, expect, it } from 'vitest';
import { tally } from '../src/feed-checks';
import { signatureVerifies } from '../src/signature';
import { auditIdOfMessage } from '../src/webhooks';

// The verdicts change_feed and webhooks give: a lost, doubled or forged message must not pass.

describe('signatureVerifies', () => {
  // The Standard Webhooks reference vector (standard-webhooks/standard-webhooks, spec tests).
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = '1614265330';
  const body = '{"test": 2432232314}';
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

  it('accepts the reference signature, alone or beside another secret', () => {
    expect(signatureVerifies(secret, id, timestamp, body, signature)).toBe(true);
    expect(signatureVerifies(secret, id, timestamp, body, `v1,bm90IHRoaXMgb25l ${signature}`)).toBe(
      true,
    );
  });

  it('refuses a changed body, id, timestamp, secret or version', () => {
    expect(signatureVerifies(secret, id, timestamp, '{"test": 1}', signature)).toBe(false);
    expect(signatureVerifies(secret, 'msg_other', timestamp, body, signature)).toBe(false);
    expect(signatureVerifies(secret, id, '1614265331', body, signature)).toBe(false);
    expect(
      signatureVerifies('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', id, timestamp, body, signature),
    ).toBe(false);
    expect(signatureVerifies(secret, id, timestamp, body, signature.replace('v1', 'v2'))).toBe(
      false,
    );
    expect(signatureVerifies(secret, id, timestamp, body, '')).toBe(false);
  });
});

describe('tally', () => {
  it('names the ids a receiver lacks and the ones it got twice', () => {
    const received = new Map([
      [1, 1],
      [2, 2],
      [4, 1],
    ]);
    expect(tally([1, 2, 3, 4], received)).toEqual({ missing: [3], duplicated: [2] });
    expect(
      tally(
        [1, 4],
        new Map([
          [1, 1],
          [4, 1],
        ]),
      ),
    ).toEqual({ missing: [], duplicated: [] });
  });
});

describe('auditIdOfMessage', () => {
  it('reads the audit id out of msg_<audit>_<subscription>', () => {
    expect(auditIdOfMessage('msg_12345_7')).toBe(12345);
    expect(auditIdOfMessage('msg_p5jXN8AQM9LWM0D4loKWxJek')).toBeUndefined();
  });
});
