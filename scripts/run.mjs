#!/usr/bin/env node
// `npm start` and `npm test` on a fresh clone: plain Node with no dependencies, because it runs
// before `node_modules` exists. It installs what is missing, builds, then hands over.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = (name) => join(root, 'node_modules', '.bin', name);

function step(title) {
  process.stdout.write(`\n▶ ${title}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    process.stderr.write(`✖ ${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n`);
    process.exit(result.status ?? 1);
  }
}

/** Installs npm packages when node_modules is missing or older than the lock file. */
function ensureDependencies() {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && (!existsSync(lock) || statSync(installed).mtimeMs >= statSync(lock).mtimeMs))
    return;
  step('Installing npm packages');
  run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

function build() {
  step('Building');
  run(bin('tsc'), ['-b']);
  run('npm', ['run', 'build', '--workspace', 'web', '--silent']);
}

/** Runs the long-lived launcher in the foreground, passing Ctrl-C and SIGTERM through to it. */
function handOver(command, args, env = {}) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    // The terminal sends Ctrl-C to the whole process group; SIGTERM to this process alone must be forwarded.
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

/** The end-to-end tests drive Debian's Chromium; install it where it is missing and apt is at hand. */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  if (spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) {
    process.stderr.write(
      '✖ Chromium is missing and apt-get is not available: install chromium for the web tests\n',
    );
    process.exit(1);
  }
  step('Installing chromium (Debian) for the end-to-end tests');
  const [apt, ...aptArgs] = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', 'apt-get'];
  const aptEnv = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  run(apt, [...aptArgs, 'update', '-qq'], aptEnv);
  run(apt, [...aptArgs, 'install', '-y', '-qq', '--no-install-recommends', 'chromium'], aptEnv);
}

const env = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

switch (process.argv[2]) {
  case 'start':
    ensureDependencies();
    build();
    handOver(process.execPath, [join(root, 'infra', 'dist', 'cli.js'), 'start', ...process.argv.slice(3)]);
    break;
  case 'test':
    ensureDependencies();
    step('Build, lint and unit tests of every project (Nx)');
    run(bin('nx'), ['run-many', '-t', 'build', 'lint', 'test', '--outputStyle=static'], {
      env: { ...process.env, ...env },
    });
    step('Type-check of tests and formatting');
    run(bin('tsc'), ['-p', 'tsconfig.check.json']);
    run(bin('prettier'), ['--check', '.', '--log-level', 'warn']);
    ensureChromium();
    step('Integration tests against a real Kafka, QuestDB and Mosquitto');
    run(bin('vitest'), ['run', '--project', 'integration']);
    break;
  default:
    process.stderr.write('usage: node scripts/run.mjs start|test\n');
    process.exit(2);
}
