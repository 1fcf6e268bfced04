/**
 * Who to tell, as the user says (--contacts, and `letters --owners`): one scope a line (an address,
 * CIDR, range or `AS64500`; the most specific that covers an address wins) with its e-mail
 * addresses and a name. Two spellings, one parser:
 *
 *     10.20.0.0/16  pacs-team@hospital.example,security@hospital.example  Radiology, St Elsewhere
 *     10.20.0.0/16, Radiology St Elsewhere, pacs-team@hospital.example       (the older owners file)
 *
 * `#` starts a comment.
 */
import { type Scope, mostSpecific, parseScope } from '../targets/scope.js';
import { TargetSyntaxError } from '../targets/spec.js';
import { InputError } from '../util/errors.js';

export class ContactsFileError extends InputError {
  override readonly name = 'ContactsFileError';
}

export interface Contact {
  scope: Scope;
  emails: string[];
  /** The organisation's name, or null when the line gives none. */
  name: string | null;
}

/** An address as a mail system takes it: local@domain, no spaces, no angle brackets. */
const EMAIL =
  /^[^\s@<>(),;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export const isEmail = (s: string): boolean => EMAIL.test(s);

function scopeAt(text: string, where: string): Scope {
  try {
    return parseScope(text);
  } catch (e) {
    if (e instanceof TargetSyntaxError) throw new ContactsFileError(`${where}: ${e.message}`);
    throw e;
  }
}

/** One line → a contact (null for blank and comment lines); errors name file and line. */
function parseLine(raw: string, where: string): Contact | null {
  const line = raw.replace(/#.*$/, '').trim();
  if (line === '') return null;
  const head = /^([^\s,]+)\s*(,?)\s*(.*)$/.exec(line);
  const scopeText = head?.[1] ?? '';
  const rest = head?.[3] ?? '';
  if (head?.[2] === ',') {
    // the older owners file: SCOPE, organisation, contact
    const [organisation, contact] = rest.split(',').map((x) => x.trim());
    if (organisation === undefined || organisation === '')
      throw new ContactsFileError(`${where}: expected "SCOPE EMAIL[,EMAIL…] [NAME…]" or "CIDR, organisation, contact"`);
    const emails = contact !== undefined && contact !== '' ? [contact] : [];
    if (emails.some((m) => !isEmail(m))) throw new ContactsFileError(`${where}: "${contact}" is not an e-mail address`);
    return { scope: scopeAt(scopeText, where), emails, name: organisation };
  }
  const m = /^(\S+)\s*(.*)$/.exec(rest);
  if (m === null) throw new ContactsFileError(`${where}: no e-mail address after "${scopeText}"`);
  const emails = (m[1] ?? '').split(',').filter((x) => x !== '');
  const bad = emails.find((x) => !isEmail(x));
  if (bad !== undefined || emails.length === 0)
    throw new ContactsFileError(`${where}: "${bad ?? m[1]}" is not an e-mail address`);
  const name = (m[2] ?? '').trim();
  return { scope: scopeAt(scopeText, where), emails, name: name === '' ? null : name };
}

export function parseContacts(file: string, text: string): Contact[] {
  const out: Contact[] = [];
  text.split('\n').forEach((raw, i) => {
    const c = parseLine(raw.replace(/\r$/, ''), `${file}:${i + 1}`);
    if (c !== null) out.push(c);
  });
  return out;
}

/** The contact whose scope covers the address most specifically (an AS scope needs the address's AS). */
export function contactFor(contacts: readonly Contact[], host: string, asn: number | null): Contact | null {
  return mostSpecific(contacts, host, asn);
}
