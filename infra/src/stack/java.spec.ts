import { describe, expect, it } from 'vitest';
import { parseJavaMajorVersion } from './java.js';

describe('parseJavaMajorVersion', () => {
  it.each([
    [
      'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)',
      17,
    ],
    ['openjdk version "21" 2023-09-19', 21],
    ['openjdk version "25-ea" 2025-09-16', 25],
    ['java version "1.8.0_292"\nJava(TM) SE Runtime Environment', 8],
    ['openjdk version "11.0.2" 2019-01-15', 11],
    ['Picked up JAVA_TOOL_OPTIONS: -Xmx1g\nopenjdk version "17.0.1" 2021-10-19', 17],
  ])('reads %j as %i', (output, major) => {
    expect(parseJavaMajorVersion(output)).toBe(major);
  });

  it('is undefined without a version', () => {
    expect(parseJavaMajorVersion('bash: java: command not found')).toBeUndefined();
  });
});
