/**
 * The complainant's name and phone, sealed at rest (PIPL art. 51): AES-256-GCM under the current
 * PAYLOAD_KEYS key, bound to the clue's id (a sealed contact copied onto another clue does not
 * open). Only the API opens it, and only shows it whole to the county's 12345 office.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { PayloadKeys } from '../domain/payload-keys.js';
import type { Queryable } from './pool.js';

export interface Contact {
  name?: string | undefined;
  phone?: string | undefined;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const aad = (clueId: string, keyId: string) => Buffer.from(`clue-contact|${clueId}|${keyId}`, 'utf8');

export function sealContact(keys: PayloadKeys, clueId: string, contact: Contact): { keyId: string; sealed: string } {
  const keyId = keys.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.keys.get(keyId)!, iv);
  cipher.setAAD(aad(clueId, keyId));
  const body = Buffer.concat([cipher.update(JSON.stringify(contact), 'utf8'), cipher.final()]);
  return { keyId, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
}

/** The contact, or undefined when its key is no longer configured or the text was altered. */
export function openContact(keys: PayloadKeys, clueId: string, row: { keyId: string; sealed: string }): Contact | undefined {
  const key = keys.keys.get(row.keyId);
  if (!key) return undefined;
  const data = Buffer.from(row.sealed, 'base64url');
  if (data.length < IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
  decipher.setAAD(aad(clueId, row.keyId));
  decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return JSON.parse(Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')) as Contact;
  } catch {
    return undefined;
  }
}

export async function insertContact(db: Queryable, clueId: string, sealed: { keyId: string; sealed: string }): Promise<void> {
  await db.query('INSERT INTO clue_contacts (clue_id, key_id, sealed) VALUES ($1, $2, $3) ON CONFLICT (clue_id) DO NOTHING', [
    clueId,
    sealed.keyId,
    sealed.sealed,
  ]);
}

export async function contactsOf(db: Queryable, clueIds: string[]): Promise<Map<string, { keyId: string; sealed: string }>> {
  if (clueIds.length === 0) return new Map();
  const res = await db.query<{ clue_id: string; key_id: string; sealed: string }>('SELECT clue_id, key_id, sealed FROM clue_contacts WHERE clue_id = ANY($1)', [
    clueIds,
  ]);
  return new Map(res.rows.map((r) => [r.clue_id, { keyId: r.key_id, sealed: r.sealed }]));
}
