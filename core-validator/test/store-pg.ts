// A real, throwaway PostgreSQL for the storage tests: initdb into a temp dir, listen on
// 127.0.0.1 with an ephemeral port (unix sockets in the temp dir), one database per test file
// and one fresh schema (search_path in the URL) per request - a schema takes milliseconds where
// CREATE DATABASE takes a checkpoint - stopped and deleted afterwards (also at process exit). PostgreSQL refuses to run as
// root, so as root the server runs as the `postgres` OS user (runuser). With SIMEDGE_TEST_PG set
// (a postgres:// URL of a server the tests may create databases on) that server is used instead.
// Missing binaries fail the tests with what to install: CI installs postgresql.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { onFreePort } from './mosquitto-run.js';

const run = promisify(execFile);

export interface PgServer {
  /** URL of the maintenance database. */
  readonly adminUrl: string;
  /** How long initdb + start took (ms); 0 for SIMEDGE_TEST_PG. */
  readonly startMs: number;
  /** A new, empty namespace (a schema of this file's database); returns a URL whose
   *  connections see only it. */
  database(): Promise<string>;
  stop(): Promise<void>;
}

function binDir(): string {
  const fromEnv = process.env.SIMEDGE_PG_BIN;
  const candidates = fromEnv ? [fromEnv] : existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  const dir = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (!dir) {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: '
      + 'install them (Debian: apt-get install postgresql), set SIMEDGE_PG_BIN to their folder, '
      + 'or set SIMEDGE_TEST_PG to the postgres:// URL of a server the tests may create databases on');
  }
  return dir;
}

let counter = 0;

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function createDb(adminUrl: string): Promise<{ url: string; name: string }> {
  const name = `simedge_t${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await sql(adminUrl, `CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

/** Fresh schemas in one database, handed out as URLs with their search_path. */
function namespaces(adminUrl: string): { next(): Promise<string>; dbName(): string | undefined } {
  let db: Promise<{ url: string; name: string }> | undefined;
  let name: string | undefined;
  return {
    async next() {
      db ??= createDb(adminUrl).then((d) => { name = d.name; return d; });
      const { url } = await db;
      const schema = `s${counter++}`;
      await sql(url, `CREATE SCHEMA ${schema}`);
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${schema}`);
      return u.toString();
    },
    dbName: () => name,
  };
}

async function dropDbs(adminUrl: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    for (const n of names) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/** A server for this test file: SIMEDGE_TEST_PG, or a fresh local cluster. */
export async function startPg(): Promise<PgServer> {
  const external = process.env.SIMEDGE_TEST_PG;
  if (external) {
    const ns = namespaces(external);
    return {
      adminUrl: external, startMs: 0,
      database: () => ns.next(),
      stop: () => dropDbs(external, [ns.dbName()].filter((n): n is string => n !== undefined)),
    };
  }
  const bin = binDir();
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'simedge-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (pw.status !== 0) throw new Error('running as root needs the `postgres` OS user to start PostgreSQL (it refuses root); install postgresql');
    chownSync(dir, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
    chmodSync(dir, 0o700);
  }
  const stopSync = () => {
    spawnSync(...as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync); // a crashed test run still takes its cluster down
  try {
    await run(...as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']));
    const port = await onFreePort(async (port) => {
      // Durability is not under test: no fsync, so a database is created in milliseconds.
      const opts = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        await run(...as(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']));
      } catch (e) {
        // The reason (e.g. another process took the port) is in the server's log, not pg_ctl's output.
        let log = '';
        try {
          log = readFileSync(join(dir, 'log'), 'utf8').slice(-4096);
        } catch {
          // No log written.
        }
        throw new Error(`${e instanceof Error ? e.message : String(e)}\nlog:\n${log}`);
      }
      return port;
    });
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const startMs = performance.now() - t0;
    const ns = namespaces(adminUrl);
    return {
      adminUrl, startMs,
      database: () => ns.next(),
      async stop() {
        process.removeListener('exit', stopSync);
        await run(...as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'])).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw e;
  }
}
