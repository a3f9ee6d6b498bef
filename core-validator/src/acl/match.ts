// Topic-filter coverage for ACL checks [MQTT-4.7]: may a grant `pattern` stand for `filter`?
// For a PUBLISH the filter is the topic itself (no wildcards); for a SUBSCRIBE it may hold
// wildcards, and is allowed only when every topic it can match is matched by the pattern, so a
// device granted `…/d/<imsi>/down` cannot subscribe `…/d/+/down` or `#`.

/** True when every topic matched by `filter` is matched by `pattern`. */
export function covers(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  for (let i = 0; i < p.length; i++) {
    const pl = p[i] as string;
    if (pl === '#') return true; // matches the parent level and everything below [MQTT-4.7.1-2]
    const fl = f[i];
    if (fl === undefined) return false;
    if (fl === '#') return false; // the filter reaches deeper than a non-# pattern level
    if (pl === '+') continue; // one level of anything, including a `+` in the filter
    if (fl === '+' || fl !== pl) return false;
  }
  return f.length === p.length;
}
