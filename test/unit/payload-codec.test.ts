import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import { countyOfWorkflowId } from '../../domain/ids.js';
import { EncryptionCodec, parsePayloadKeys, payloadCounty, PayloadKeyError } from '../../worker/payload-codec.js';
import { loadConfig, ConfigError } from '../../domain/config.js';

const keyA = `a:${Buffer.alloc(32, 7).toString('base64')}`;
const keyB = `b:${Buffer.alloc(32, 9).toString('base64')}`;
const subject = { name: '周至县某某加油站', address: '西安市周至县二曲街道 1 号' };
const plain = () => defaultPayloadConverter.toPayload(subject);
const str = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const matterContext = { type: 'workflow' as const, namespace: 'default', workflowId: 'matter:610124:self-built-housing:2026-0001' };

describe('the payload codec (AES-256-GCM)', () => {
  test('seals a payload: the plaintext is gone, key id and county stay readable, and it opens again', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(keyA));
    const [sealed] = await codec.encode([plain()], matterContext);
    expect(str(sealed!.metadata!.encoding)).toBe('binary/encrypted');
    expect(str(sealed!.metadata!['encryption-key-id'])).toBe('a');
    expect(payloadCounty(sealed!)).toBe('610124');
    expect(str(sealed!.data)).not.toContain('加油站');
    expect(Buffer.from(sealed!.data!).includes(Buffer.from(subject.name))).toBe(false);
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(subject);
    expect(str(opened!.metadata!.encoding)).toBe('json/plain');
  });

  test('the same value sealed twice gives two ciphertexts (a fresh IV each time)', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(keyA));
    const [one, two] = await codec.encode([plain(), plain()], matterContext);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
  });

  test('activities and tasks of a county are tagged with it; the platform’s own workflows with none', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(keyA));
    const [activity] = await codec.encode([plain()], { type: 'activity', namespace: 'default', workflowId: 'task:610125:housing:2026-0003', isLocal: false });
    expect(payloadCounty(activity!)).toBe('610125');
    const [platform] = await codec.encode([plain()], { type: 'workflow', namespace: 'default', workflowId: 'audit-verification-2026-12-02T02:30:00Z' });
    expect(payloadCounty(platform!)).toBeUndefined();
    const [none] = await codec.encode([plain()]);
    expect(payloadCounty(none!)).toBeUndefined();
  });

  test('rotation: a new current key seals, the old one still opens older payloads; a dropped key is a clear error', async () => {
    const old = new EncryptionCodec(parsePayloadKeys(keyA));
    const [sealedWithA] = await old.encode([plain()], matterContext);
    const rotated = new EncryptionCodec(parsePayloadKeys(`${keyA},${keyB}`));
    const [sealedWithB] = await rotated.encode([plain()], matterContext);
    expect(str(sealedWithB!.metadata!['encryption-key-id'])).toBe('b');
    const opened = await rotated.decode([sealedWithA!, sealedWithB!]);
    expect(opened.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([subject, subject]);
    await expect(new EncryptionCodec(parsePayloadKeys(keyB)).decode([sealedWithA!])).rejects.toThrow(
      new PayloadKeyError('payload sealed with key a, which PAYLOAD_KEYS does not list'),
    );
  });

  test('a payload whose county was rewritten in the store no longer opens', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(keyA));
    const [sealed] = await codec.encode([plain()], matterContext);
    const forged = { ...sealed!, metadata: { ...sealed!.metadata, 'encryption-county': Buffer.from('610125') } };
    await expect(codec.decode([forged])).rejects.toThrow(/does not authenticate/);
    const flipped = Buffer.from(sealed!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: flipped }])).rejects.toThrow(/does not authenticate/);
  });

  test('payloads from before encryption pass through', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(keyA));
    const p = plain();
    expect(await codec.decode([p])).toEqual([p]);
  });
});

describe('PAYLOAD_KEYS', () => {
  test.each([
    ['a:abc', 'PAYLOAD_KEYS: key a is 2 bytes, expected 32 (AES-256)'],
    [`${keyA},${keyA}`, 'PAYLOAD_KEYS: key a is listed twice'],
    ['no-colon', 'PAYLOAD_KEYS: expected id:base64 entries, comma-separated (ids of letters, digits, . _ -)'],
  ])('%s is refused', (spec, message) => {
    expect(() => parsePayloadKeys(spec)).toThrow(new PayloadKeyError(message));
  });

  test('the current key defaults to the last listed and must be listed', () => {
    expect(parsePayloadKeys(`${keyA},${keyB}`).current).toBe('b');
    expect(parsePayloadKeys(`${keyA},${keyB}`, 'a').current).toBe('a');
    expect(() => parsePayloadKeys(keyA, 'b')).toThrow('PAYLOAD_KEY_ID: b is not in PAYLOAD_KEYS');
  });

  test('loadConfig names the variable and never the key', () => {
    const secret = Buffer.alloc(31, 5).toString('base64');
    let err: unknown;
    try {
      loadConfig({ PAYLOAD_KEYS: `k1:${secret}` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual(['PAYLOAD_KEYS: key k1 is 31 bytes, expected 32 (AES-256)']);
    expect((err as Error).message).not.toContain(secret);
    expect(() => loadConfig({ PAYLOAD_KEYS: keyA, PAYLOAD_KEY_ID: 'z' })).toThrow('PAYLOAD_KEY_ID: z is not in PAYLOAD_KEYS');
  });
});

test('the county of a workflow, from its id', () => {
  expect(countyOfWorkflowId('matter:610124:refined-oil:2026-0001')).toBe('610124');
  expect(countyOfWorkflowId('matter:610124:refined-oil:2026-0001/task:market:2')).toBe('610124');
  expect(countyOfWorkflowId('matter:610124:refined-oil:2026-0001/transfer:1/task:police:1')).toBe('610124');
  expect(countyOfWorkflowId('task:610125:housing:2026-0003')).toBe('610125');
  expect(countyOfWorkflowId('audit-verification')).toBeUndefined();
  expect(countyOfWorkflowId('calendar-recompute-2026-r3')).toBeUndefined();
});
