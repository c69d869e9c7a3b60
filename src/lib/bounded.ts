/** `text` cut to at most `max` characters, saying how much was cut: "… (1234 more characters)". */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  // The count's own length depends on the cut: leave room for the longest it can be.
  const room = max - ` … (${String(text.length)} more characters)`.length;
  const head = text.slice(0, Math.max(0, room)).trimEnd();
  return `${head} … (${String(text.length - head.length)} more characters)`;
}
