import { shortHash } from "./hash.js";

const PREFIX = "netfence-";
/** A NetworkPolicy name is a DNS subdomain. */
const MAX_NAME = 253;
/** A label value. */
const MAX_LABEL_VALUE = 63;
const HASH_LENGTH = 10;

/** Cuts `text` to fit `max` with `-<hash of the whole text>`, never ending on '-' or '.'. */
function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - HASH_LENGTH - 1).replace(/[-.]+$/, "");
  return `${head}-${shortHash(text, HASH_LENGTH)}`;
}

/**
 * The name of the NetworkPolicy a profile generates in every namespace:
 * `netfence-<profile>`, or, for a profile name too long for that, its first
 * characters and a hash of the whole name (still unique, still ≤ 253).
 */
export function policyName(profileName: string): string {
  return shortened(`${PREFIX}${profileName}`, MAX_NAME);
}

/**
 * The value of the netfence.io/profile label: the profile name, or for names
 * over 63 characters (profile names may be up to 253) its start plus a hash.
 * Select owned policies with `netfence.io/profile=<profileLabelValue(name)>`.
 */
export function profileLabelValue(profileName: string): string {
  return shortened(profileName, MAX_LABEL_VALUE);
}
