import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from './errors.js';

/** The pom listing a component's jars: `infra/maven/<name>/pom.xml` (two levels above both src/stack and dist/stack). */
export function pomPath(name: 'kafka' | 'questdb'): string {
  return fileURLToPath(new URL(`../../maven/${name}/pom.xml`, import.meta.url));
}

/** `<cacheDir>/<name>-<first 10 hex of sha256(pom)>`: a new pom gets a new directory, so stale jars are never reused. */
export function artifactCacheDir(cacheDir: string, name: string, pomContent: string): string {
  const hash = createHash('sha256').update(pomContent).digest('hex').slice(0, 10);
  return join(cacheDir, `${name}-${hash}`);
}

const COMPLETE_MARKER = '.complete';

// Concurrent Maven runs on one ~/.m2 can corrupt downloads of shared plugins; run them one at a time.
let mavenQueue: Promise<unknown> = Promise.resolve();

/**
 * Returns the directory of a component's jars, downloading them with Maven the first time. The download goes to a
 * temporary directory that is renamed into place with a `.complete` marker, so an interrupted or concurrent run
 * never leaves a half-filled cache that later starts would trust. Later starts need no network and no Maven.
 */
export async function ensureArtifacts(
  name: 'kafka' | 'questdb',
  cacheDir: string,
  log: (line: string) => void,
  pom: string = pomPath(name),
): Promise<string> {
  const pomContent = readFileSync(pom, 'utf8');
  const target = artifactCacheDir(cacheDir, name, pomContent);
  const libDir = join(target, 'lib');
  if (existsSync(join(target, COMPLETE_MARKER))) return libDir;

  const run = mavenQueue.then(async () => {
    if (existsSync(join(target, COMPLETE_MARKER))) return;
    mkdirSync(cacheDir, { recursive: true });
    const staging = `${target}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    log(`${name}: downloading jars with Maven into ${target} (first start only)`);
    const started = Date.now();
    await runMaven(pom, join(staging, 'lib'), name);
    writeFileSync(join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    if (existsSync(target)) {
      // Another launcher finished first, or an incomplete directory from an older layout: keep a complete one.
      if (existsSync(join(target, COMPLETE_MARKER))) {
        rmSync(staging, { recursive: true, force: true });
        return;
      }
      rmSync(target, { recursive: true, force: true });
    }
    renameSync(staging, target);
    log(`${name}: jars downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  mavenQueue = run.catch(() => undefined);
  await run;
  return libDir;
}

function runMaven(pom: string, outputDir: string, name: string): Promise<void> {
  const args = [
    '-q',
    '-B',
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${outputDir}`,
    '-DincludeScope=runtime',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new StackError(
          error.code === 'ENOENT'
            ? `Downloading the ${name} jars needs Maven once, but \`mvn\` was not found on PATH. Install it ` +
                `(e.g. \`apt-get install -y maven\`) and start again; later starts reuse the downloaded jars.`
            : `Running Maven for the ${name} jars failed: ${error.message}`,
          { cause: error },
        ),
      );
    });
    child.once('close', (code) => {
      if (code === 0) resolve();
      else {
        const tail = output.trim().split('\n').slice(-25).join('\n');
        reject(
          new StackError(
            `Maven could not download the ${name} jars (exit code ${code}); is Maven Central reachable?\n` +
              `  mvn ${args.join(' ')}\n${tail}`,
          ),
        );
      }
    });
  });
}
