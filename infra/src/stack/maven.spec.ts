import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { artifactCacheDir, pomPath } from './maven.js';

describe('artifactCacheDir', () => {
  it('is named after the component and the first 10 hex of the pom hash', () => {
    const dir = artifactCacheDir('/cache', 'kafka', '<project/>');
    expect(dir).toMatch(/^\/cache\/kafka-[0-9a-f]{10}$/);
    expect(artifactCacheDir('/cache', 'kafka', '<project/>')).toBe(dir);
    expect(artifactCacheDir('/cache', 'kafka', '<project></project>')).not.toBe(dir);
  });
});

describe('pomPath', () => {
  it.each(['kafka', 'questdb'] as const)('finds the %s pom', (name) => {
    expect(existsSync(pomPath(name))).toBe(true);
    expect(readFileSync(pomPath(name), 'utf8')).toContain('<packaging>pom</packaging>');
  });
});
