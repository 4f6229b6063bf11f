import { parseArgs } from 'node:util';
import { describeFailure } from '@taskflow/client';
import type { AuthApi } from './auth-api';
import { COMMANDS, type Command } from './commands';
import {
  type CommandContext,
  createAuthApiFromEnvironment,
  createClientFromEnvironment,
} from './context';
import { CliError, EXIT, exitCodeFor } from './exit-codes';

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' as const },
  help: { type: 'boolean' as const, short: 'h' },
  url: { type: 'string' as const },
};

function usage(command: Command): string {
  const args = (command.args ?? []).map((a) => ` ${a}`).join('');
  const options = Object.entries(command.options ?? {})
    .map(
      ([name, o]) =>
        `  --${name}${o.short ? `, -${o.short}` : ''}${o.type === 'string' ? ' VALUE' : ''}`,
    )
    .join('\n');
  return `usage: taskflow ${command.name}${args} [options]\n\n${command.summary}\n${options ? `\noptions:\n${options}\n` : ''}  --json          print JSON instead of a table\n  --url URL       the API (default TASKFLOW_URL, the stored login, or http://localhost:8000)\n  --help          this help`;
}

export function helpText(): string {
  const width = Math.max(
    ...COMMANDS.map((c) => c.name.length + (c.args ?? []).join(' ').length + 1),
  );
  const lines = COMMANDS.map(
    (c) => `  ${`${c.name} ${(c.args ?? []).join(' ')}`.padEnd(width + 2)}${c.summary}`,
  );
  return `taskflow — the TaskFlow board from a shell

usage: taskflow COMMAND [ARGS] [--json] [--help]

commands:
${lines.join('\n')}

environment:
  TASKFLOW_URL        the API (default http://localhost:8000)
  TASKFLOW_AUTH_URL   the identity service (default http://localhost:3001)
  TASKFLOW_TOKEN      a bearer token to use instead of the stored login
  TASKFLOW_API_KEY    an agent API key to use instead of the stored login

exit codes: 0 ok · 1 failure · 2 usage · 3 not logged in / 401 · 4 not found · 5 conflict · 6 forbidden · 7 invalid input · 8 unavailable`;
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const two = COMMANDS.find((c) => c.name === `${argv[0]} ${argv[1]}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === argv[0]);
  return one ? { command: one, rest: argv.slice(1) } : undefined;
}

export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Runs one command; returns the exit code. Never throws. */
export async function run(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(helpText());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    io.stderr(
      group.length
        ? `taskflow ${argv[0]}: expected one of ${group.map((c) => c.name.split(' ')[1]).join(', ')}`
        : `taskflow: unknown command "${argv[0]}" (see taskflow --help)`,
    );
    return EXIT.usage;
  }
  const { command, rest } = found;
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (error) {
    io.stderr(`taskflow ${command.name}: ${(error as Error).message.split('\n')[0]}`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout(usage(command));
    return EXIT.ok;
  }
  const expected = command.args?.length ?? 0;
  if (positionals.length !== expected) {
    io.stderr(
      `taskflow ${command.name}: expected ${expected ? (command.args ?? []).join(' ') : 'no arguments'} (see taskflow ${command.name} --help)`,
    );
    return EXIT.usage;
  }
  const badId = (command.args ?? []).findIndex(
    (name, i) => name === 'ID' && !/^[1-9]\d{0,9}$/.test(positionals[i] ?? ''),
  );
  if (badId >= 0) {
    io.stderr(
      `taskflow ${command.name}: ID must be a positive whole number, not "${positionals[badId]}"`,
    );
    return EXIT.usage;
  }
  const json = values.json === true;
  const url = typeof values.url === 'string' ? values.url : undefined;
  let client: ReturnType<typeof createClientFromEnvironment> | undefined;
  let auth: AuthApi | undefined;
  const ctx: CommandContext = {
    env: io.env,
    url,
    json,
    out: io.stdout,
    err: io.stderr,
    stdin: io.stdin,
    client: () => {
      client ??= createClientFromEnvironment(io.env, url);
      return client;
    },
    auth: () => {
      auth ??= createAuthApiFromEnvironment(io.env);
      return auth;
    },
  };
  try {
    const { data, text } = await command.run(ctx, values, positionals);
    // A streaming command (watch) has printed as it went: nothing is left to print.
    if (json) {
      if (data !== undefined) io.stdout(JSON.stringify(data, null, 2));
    } else if (text) io.stdout(text);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`taskflow ${command.name}: ${error.message}`);
      return error.exitCode;
    }
    const failure = describeFailure(error);
    const detail = failure.issues.length
      ? ` (${failure.issues.map((i) => `${i.path || 'input'}: ${i.message}`).join('; ')})`
      : '';
    const message = failure.message.startsWith('Invalid input')
      ? failure.message
      : `${failure.message}${detail}`;
    io.stderr(`taskflow ${command.name}: ${message.split('\n')[0]}`);
    return exitCodeFor(failure.status, failure.code);
  }
}
