/**
 * Test helper: bytes written as annotated hex, one field per line, `#` starts a comment.
 *   hex(`
 *     41 56   # magic "AV"
 *     01      # version
 *   `)
 */
export function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`hex(): not whole hex bytes: ${digits}`);
  return Buffer.from(digits, 'hex');
}
