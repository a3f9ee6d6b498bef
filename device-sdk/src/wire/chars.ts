// Character-class checks written as loops instead of RegExp quantifiers. The portable core runs
// on Espruino, whose RegExp engine knows only `*` and `+` after one character or class: no
// `{n,m}`, no `?`, nothing that quantifies a group, no `|` inside a group, and a literal `-` at
// the end of a class is read as a range. So lengths and character sets are checked here.

/** Every character of `s` passes `ok`, and min <= s.length <= max; false for a non-string. */
export function allChars(s: unknown, min: number, max: number, ok: (c: number) => boolean): boolean {
  if (typeof s !== 'string' || s.length < min || s.length > max) return false;
  for (let i = 0; i < s.length; i++) if (!ok(s.charCodeAt(i))) return false;
  return true;
}

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isHexDigit = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
export const isAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** `min`..`max` decimal digits. */
export const digits = (s: unknown, min: number, max: number): boolean => allChars(s, min, max, isDigit);

/** Letters, digits and the characters of `extra`. */
export function alnumOr(extra: string): (c: number) => boolean {
  return (c) => isAlnum(c) || extra.indexOf(String.fromCharCode(c)) >= 0;
}
