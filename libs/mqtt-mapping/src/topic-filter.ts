/**
 * MQTT topic filter matching (MQTT 5.0 §4.7): `+` matches one level, `#` (last) matches any number
 * of levels including none (`a/#` matches `a`), and a filter starting with a wildcard does not
 * match topics starting with `$` (§4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** Why `filter` is not a valid MQTT topic filter (§4.7.1), or undefined when it is one. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'a topic filter is at least one character';
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) {
      return '"#" must be a whole level and the last one';
    }
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

/** True when every topic `specific` matches is also matched by `general`. */
export function filterCovers(general: string, specific: string): boolean {
  const g = general.split('/');
  const s = specific.split('/');
  for (let i = 0; i < g.length; i++) {
    if (g[i] === '#') return !(i === 0 && s[0]?.startsWith('$'));
    if (i >= s.length || s[i] === '#') return false;
    if (g[i] !== '+' && g[i] !== s[i]) return false;
    if (g[i] === '+' && s[i] !== '+' && i === 0 && s[i]?.startsWith('$')) return false;
  }
  return g.length === s.length;
}

/**
 * The filters to subscribe to: those no other filter covers. A broker may deliver a message once per
 * matching subscription (MQTT 5.0 §3.3.4), so subscribing to both `plant1/#` and
 * `plant1/+/+/inspections/+` would bring every inspection twice; rules still route by the full list.
 */
export function subscriptionFilters(filters: readonly string[]): string[] {
  const unique = [...new Set(filters)];
  return unique.filter((filter) => !unique.some((other) => other !== filter && filterCovers(other, filter)));
}
