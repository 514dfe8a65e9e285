/** Maps Cedar's source offsets (UTF-8 byte offsets) to 1-based line and column. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** The string index of a UTF-8 byte offset into `text`. */
export function charIndexOfByteOffset(text: string, byteOffset: number): number {
  if (byteOffset <= 0) return 0;
  const bytes = Buffer.from(text, 'utf8');
  if (byteOffset >= bytes.length) return text.length;
  // A partial trailing character decodes to U+FFFD, which still counts as one index.
  return bytes.subarray(0, byteOffset).toString('utf8').length;
}

/** Line and column (both 1-based, column in characters) of a string index. */
export function positionOfIndex(text: string, index: number): SourcePosition {
  const clamped = Math.max(0, Math.min(index, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1 };
}
