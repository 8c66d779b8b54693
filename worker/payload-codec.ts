/**
 * Personal data encrypted end to end (PIPL; issue 11 §4): a Temporal payload codec.
 *
 * Every payload the API and the worker send to Temporal (workflow inputs and results, Update,
 * Signal and Query arguments and results, activity inputs and results, memo) leaves the process
 * as AES-256-GCM ciphertext: subject names, addresses, complainants, findings and reasons are not
 * readable in Temporal's history, its Web UI or its database. The codec runs outside the workflow
 * sandbox (in the client and the worker's main thread), so workflows stay deterministic.
 *
 * An encrypted payload's metadata (stored in clear) says
 *   encoding              `binary/encrypted`
 *   encryption-key-id     which key sealed it: keys rotate by adding one and making it current;
 *                         older ones stay listed to open older histories
 *   encryption-county     the county of the workflow that owns the payload (from its id, by the
 *                         SDK's serialization context), so the Web UI's codec endpoint can decode
 *                         a payload only for a caller who may see that county
 * and the county and key id are bound to the ciphertext as GCM's additional data: a payload whose
 * county was rewritten in Temporal's database no longer opens.
 *
 * Payloads that are not `binary/encrypted` (histories written before encryption) pass through.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
// CommonJS: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import { countyOfWorkflowId } from '../domain/ids.js';
import { PayloadKeyError, type PayloadKeys } from '../domain/payload-keys.js';

export { parsePayloadKeys, PayloadKeyError, type PayloadKeys } from '../domain/payload-keys.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const COUNTY_METADATA = 'encryption-county';
const FORMAT_VERSION = 1;
const PayloadMessage = proto.temporal.api.common.v1.Payload;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** A fresh `PAYLOAD_KEYS` entry (the dev stack makes one per data directory). */
export function newPayloadKeySpec(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

function additionalData(keyId: string, county: string | undefined): Buffer {
  return Buffer.from(`isv-payload:v${FORMAT_VERSION}:${keyId}:${county ?? ''}`, 'utf8');
}

/** The county a payload is tagged with (undefined: not encrypted, or not owned by a county's workflow). */
export function payloadCounty(p: Payload): string | undefined {
  return text(p.metadata?.[COUNTY_METADATA]);
}

export function isEncrypted(p: Payload): boolean {
  return text(p.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const county = context?.workflowId ? countyOfWorkflowId(context.workflowId) : undefined;
    return payloads.map((p) => this.seal(p, county));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (isEncrypted(p) ? this.open(p) : p));
  }

  private seal(p: Payload, county: string | undefined): Payload {
    const keyId = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.keys.get(keyId)!, iv);
    cipher.setAAD(additionalData(keyId, county));
    const plain = PayloadMessage.encode(p).finish();
    const sealed = Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8(keyId),
        ...(county ? { [COUNTY_METADATA]: utf8(county) } : {}),
      },
      data: sealed,
    };
  }

  private open(p: Payload): Payload {
    const keyId = text(p.metadata?.[KEY_ID_METADATA]);
    const key = keyId ? this.keys.keys.get(keyId) : undefined;
    if (!keyId || !key) throw new PayloadKeyError(`payload sealed with key ${keyId ?? '(none)'}, which PAYLOAD_KEYS does not list`);
    const data = Buffer.from(p.data ?? new Uint8Array());
    if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== FORMAT_VERSION) throw new PayloadKeyError('encrypted payload: unknown format');
    const iv = data.subarray(1, 1 + IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(additionalData(keyId, payloadCounty(p)));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadKeyError(`encrypted payload (key ${keyId}) does not authenticate: altered ciphertext or metadata`);
    }
    return PayloadMessage.decode(plain) as Payload;
  }
}

/** The data converter of the API's client and the worker: the codec when keys are configured. */
export function payloadDataConverter(keys: PayloadKeys | undefined): DataConverter {
  return keys ? { payloadCodecs: [new EncryptionCodec(keys)] } : {};
}
