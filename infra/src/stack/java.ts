import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { StackError } from './errors.js';

export const MIN_JAVA_MAJOR = 17;

/**
 * Major version from `java -version` output (printed on stderr), e.g. `openjdk version "17.0.15"` → 17,
 * `java version "1.8.0_292"` → 8, `openjdk version "25-ea"` → 25. Undefined when no version is found.
 */
export function parseJavaMajorVersion(output: string): number | undefined {
  const match = /version "([^"]+)"/.exec(output);
  const version = match?.[1];
  if (version === undefined) return undefined;
  const parts = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!parts?.[1]) return undefined;
  const first = Number(parts[1]);
  if (first === 1 && parts[2] !== undefined) return Number(parts[2]);
  return first;
}

/** The java executable: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` from PATH. */
export function javaExecutable(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Throws a {@link StackError} unless a Java ≥ 17 runtime is available; returns the executable and major version. */
export function checkJava(
  needFor: string,
  env: NodeJS.ProcessEnv = process.env,
): { java: string; major: number } {
  const java = javaExecutable(env);
  const result = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 30_000 });
  const install = `Install a Java ${MIN_JAVA_MAJOR}+ runtime (e.g. \`apt-get install -y openjdk-17-jre-headless\`)`;
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new StackError(
      missing
        ? `Java ${MIN_JAVA_MAJOR} or newer is needed to run ${needFor}, but \`${java}\` was not found. ${install}, or point JAVA_HOME at one.`
        : `Java is needed to run ${needFor}, but \`${java} -version\` failed: ${result.error.message}`,
      { cause: result.error },
    );
  }
  const output = `${result.stderr}\n${result.stdout}`;
  const major = parseJavaMajorVersion(output);
  if (major === undefined) {
    throw new StackError(
      `Java ${MIN_JAVA_MAJOR}+ is needed to run ${needFor}, but \`${java} -version\` printed no version:\n${output.trim()}`,
    );
  }
  if (major < MIN_JAVA_MAJOR) {
    throw new StackError(
      `Java ${MIN_JAVA_MAJOR} or newer is needed to run ${needFor}, but \`${java}\` is Java ${major}. ${install}, or point JAVA_HOME at one.`,
    );
  }
  return { java, major };
}
