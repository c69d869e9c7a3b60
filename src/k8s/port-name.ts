/**
 * A named port (IANA_SVC_NAME, as NetworkPolicyPort.port and
 * ContainerPort.name take it): at most 15 lowercase letters, digits and '-',
 * no '-' at either end, at least one letter (all digits would be a number).
 */

/** The characters of a port name, for OpenAPI `pattern` (RE2) and JavaScript alike; the length and the letter are checked apart. */
export const PORT_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
export const PORT_NAME_MAX_LENGTH = 15;

const CHARACTERS = new RegExp(PORT_NAME_PATTERN);

export function isPortName(text: string): boolean {
  return text.length <= PORT_NAME_MAX_LENGTH && CHARACTERS.test(text) && /[a-z]/.test(text);
}
