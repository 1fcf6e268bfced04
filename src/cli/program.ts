/** opendoor's command line: parse, dispatch, map errors to the contract's exit codes (0 ran, 2 usage, 1 other). The entry is main.ts. */
import { Command, CommanderError, Option } from 'commander';

import { InputError } from '../util/errors.js';
import type { Io } from './io.js';
import { VERSION } from './version.js';
import { DEFAULT_PORTS } from '../targets/ports.js';
import { SCAN_DEFAULTS, SERVE_LISTEN } from './defaults.js';
import type { ScanCliOptions } from '../engine/scanOptions.js';
import { addAttributionOptions } from './attributionOptions.js';
import type { ServeCliOptions } from './serveCommand.js';
import type { WorkerCliOptions } from './workerCommand.js';
import { examples } from './examples.js';

/** `--db`: a SQLite file or a PostgreSQL URL, from OPENDOOR_DB when not given. */
function dbOption(
  what = 'the results database: a SQLite file (default ~/.local/share/opendoor/opendoor.db) or a postgres:// URL',
): Option {
  return new Option('--db <file|url>', what).env('OPENDOOR_DB');
}

/** nmap spells the input-list option `-iL`; commander only knows one-letter short options. */
export function normaliseArgv(argv: string[]): string[] {
  // `help COMMAND` is `COMMAND --help`: one way to a command's help, through its hooks
  const [first, command, ...rest] = argv;
  if (first === 'help' && command !== undefined && rest.length === 0) return [command, '--help'];
  return argv.map((a) =>
    a === '-iL' ? '--input-list' : a.startsWith('-iL') && a.length > 3 ? `--input-list=${a.slice(3)}` : a,
  );
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('opendoor')
    .description(
      'Find medical imaging archives left open on a network, prove what a stranger gets, and tell the owner how to close them.',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined })
    .addHelpText('after', examples('opendoor'));
  const scan = program
    .command('scan')
    .addHelpText('after', examples('scan'))
    .description('scan targets for DICOM, DICOM-TLS and imaging web services')
    .argument('[targets...]', 'IPv4/IPv6 addresses, hostnames, CIDRs (192.0.2.0/24), ranges (192.0.2.1-40)')
    .option('--input-list <file>', 'targets from FILE (- for stdin); also spelled -iL')
    .option('--exclude <list>', 'never touch these targets (comma separated)')
    .option('--exclude-file <file>', 'never touch the targets listed in FILE')
    .option('-p, --ports <list>', `ports to try (default: ${DEFAULT_PORTS.join(',')})`)
    .addOption(new Option('--depth <level>', 'detect | access | count | retrieve').default(SCAN_DEFAULTS.depth))
    .option('--json', 'JSON Lines on stdout instead of the human summary')
    .option('-o, --output <file>', 'also write the JSON Lines to FILE')
    .option('--ae-titles <file>', 'extra called AE titles to try, one a line')
    .option('--concurrency <n>', 'hosts probed at once', SCAN_DEFAULTS.concurrency)
    .option('--rate <n>', 'new connections per second (bursts of a tenth of that)', SCAN_DEFAULTS.rate)
    .option('--timeout <ms>', 'timeout of each network step in milliseconds', SCAN_DEFAULTS.timeout)
    .option(
      '--connect-timeout <ms>',
      "timeout of the port sweep's connects (default: --timeout); shorter for far, filtered networks",
    )
    .option('--max-queries <n>', 'C-FIND queries allowed per service when counting', SCAN_DEFAULTS.maxQueries)
    .option(
      '--host-timeout <ms>',
      'give up on a host after this long (default: computed from the other bounds, see README)',
    )
    .option('--count-budget <ms>', 'time allowed per service when counting, in milliseconds', SCAN_DEFAULTS.countBudget)
    .addOption(dbOption())
    .option('--resume <scanId>', 'finish an interrupted scan (targets and options come from the database)')
    .option('--enqueue', 'queue the scan for workers (needs a postgres:// --db) and exit; see `opendoor worker`')
    .option('--shard <K/N>', 'probe only part K of an N-way partition of the targets (N machines cover them once)')
    .option('--seed <hex>', 'seed of the random target order (default: derived from the targets)')
    .option('-v, --verbose', 'details on stderr')
    .option('--debug', 'protocol details on stderr (never patient data)')
    .option('-q, --quiet', 'only errors on stderr');
  addAttributionOptions(scan).action(async (targets: string[], options: ScanCliOptions) => {
    setExit(await (await import('./scanCommand.js')).scanCommand(targets, options, io));
  });
  program
    .command('worker')
    .addHelpText('after', examples('worker'))
    .description('run slices of queued scans (scan --enqueue) until stopped; any number, on any machines')
    .addOption(dbOption('the shared database: a postgres:// URL'))
    .option('--concurrency <n>', "hosts probed at once (default: the scan's own)")
    .option('--until-idle', 'exit once no slice is queued or held')
    .option('--max-slices <n>', 'take at most N slices, finish them and exit (a batch job)')
    .option('-v, --verbose', 'each slice on stderr')
    .option('-q, --quiet', 'only errors on stderr')
    .action(async (options: WorkerCliOptions) => {
      setExit(await (await import('./workerCommand.js')).workerCommand(options, io));
    });
  program
    .command('scans')
    .addHelpText('after', examples('scans'))
    .description('list the scans in the database')
    .addOption(dbOption())
    .option('--json', 'JSON Lines instead of a table')
    .action(async (options: { db?: string; json?: boolean }) => {
      setExit(await (await import('./scansCommand.js')).scansCommand(options, io));
    });
  program
    .command('merge')
    .addHelpText('after', examples('merge'))
    .description('combine the latest scan of several databases (one per --shard machine) into one scan')
    .argument('<databases...>')
    .addOption(dbOption('the database to merge into (SQLite file or postgres:// URL)').makeOptionMandatory())
    .action(async (inputs: string[], options: { db?: string }) => {
      setExit(await (await import('./mergeCommand.js')).mergeCommand(inputs, options, io));
    });
  const formatOption = new Option('--format <format>', 'a format of the report formats table').default('md');
  const honeypotsOption = new Option('--include-honeypots', 'keep suspected honeypots in the feeds');
  const report = program
    .command('report')
    .addHelpText('after', examples('report'))
    .description('render one scan (the latest by default) for people')
    .argument('[scanId]')
    .addOption(dbOption())
    .addOption(formatOption)
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .addOption(honeypotsOption)
    .action(
      async (
        scanId: string | undefined,
        options: { db?: string; format: string; output?: string; includeHoneypots?: boolean },
      ) => {
        setExit(await (await import('./reportCommands.js')).reportCommand(scanId, options, io));
      },
    );
  // the formats' names come from the one table (report/formats.ts), loaded only when `report` runs or shows its help
  program.hook('preSubcommand', async (_, sub) => {
    if (sub !== report) return;
    const { REPORT_FORMATS } = await import('../report/formats.js');
    formatOption.description = REPORT_FORMATS.map((f) => f.name).join(' | ');
    honeypotsOption.description = `keep suspected honeypots in the feeds (${REPORT_FORMATS.filter(
      (f) => f.honeypotOption,
    )
      .map((f) => f.name)
      .join(', ')})`;
  });
  program
    .command('diff')
    .addHelpText('after', examples('diff'))
    .description('new, fixed and changed exposures between two scans')
    .argument('<scanA>')
    .argument('<scanB>')
    .addOption(dbOption())
    .option('--json', 'one JSON object instead of text')
    .action(async (a: string, b: string, options: { db?: string; json?: boolean }) => {
      setExit(await (await import('./reportCommands.js')).diffCommand(a, b, options, io));
    });
  program
    .command('letters')
    .addHelpText('after', examples('letters'))
    .description('one notification letter per owner of exposed services (GDPR art. 33 contents)')
    .argument('[scanId]')
    .addOption(dbOption())
    .option(
      '--owners <file>',
      'a contacts file (SCOPE EMAIL[,EMAIL…] NAME, or "CIDR, organisation, contact"); without it, one letter per host',
    )
    .addOption(new Option('--format <format>', 'md | html').default('md'))
    .requiredOption('-o, --output <dir>', 'directory for the letters')
    .action(
      async (scanId: string | undefined, options: { db?: string; owners?: string; format: string; output: string }) => {
        setExit(await (await import('./reportCommands.js')).lettersCommand(scanId, options, io));
      },
    );
  const notify = program
    .command('notify')
    .addHelpText('after', examples('notify'))
    .description("one notice per abuse contact of a scan's exposed services (a dry run unless --send)")
    .argument('[scanId]')
    .addOption(dbOption())
    .requiredOption('--campaign <name>', 'the campaign the notices belong to (reruns send nothing twice)')
    .option('--smtp <url>', 'smtp://[user:pass@]host[:port] or smtps://… (STARTTLS when offered)')
    .option('--from <address>', 'the sender and reply address')
    .option('--send', 'send the notices (without it: a dry run, nothing sent)')
    .option('--mail-rate <n>', 'mails a minute at most', '30')
    .option('--json', 'JSON Lines: a notice record per contact, then a notify-summary')
    .option('-o, --output <dir>', 'write each notice as TICKET.eml into DIR');
  addAttributionOptions(notify).action(
    async (scanId: string | undefined, options: import('./notifyCommand.js').NotifyCliOptions) => {
      setExit(await (await import('./notifyCommand.js')).notifyCommand(scanId, options, io));
    },
  );
  const campaign = program
    .command('campaign')
    .addHelpText('after', examples('campaign'))
    .description('notification campaigns: what was told, and whether the doors closed');
  campaign
    .command('list')
    .description('the campaigns, with notices, services and closed share')
    .addOption(dbOption())
    .option('--json', 'JSON Lines')
    .action(async (options: { db?: string; json?: boolean }) => {
      setExit(await (await import('./campaignCommand.js')).campaignListCommand(options, io));
    });
  campaign
    .command('show')
    .description("a campaign's notices, their services' states, closed share and days to close, by AS and country")
    .argument('<name>')
    .addOption(dbOption())
    .option('--json', 'a campaign record, then its notices')
    .action(async (name: string, options: { db?: string; json?: boolean }) => {
      setExit(await (await import('./campaignCommand.js')).campaignShowCommand(name, options, io));
    });
  campaign
    .command('recheck')
    .description(
      "probe the campaign's notified services again (opt-outs honoured) and record open, partly-closed, closed or changed",
    )
    .argument('<name>')
    .addOption(dbOption())
    .option('--timeout <ms>', 'timeout of each network step', SCAN_DEFAULTS.timeout)
    .option('--json', 'JSON Lines: a recheck record per service')
    .action(async (name: string, options: { db?: string; timeout: string; json?: boolean }) => {
      setExit(await (await import('./campaignCommand.js')).campaignRecheckCommand(name, options, io));
    });
  const serve = program
    .command('serve')
    .addHelpText('after', examples('serve'))
    .description('the dashboard and its JSON API (/api/v1) on the results database')
    .addOption(dbOption())
    .option('--listen <host:port>', 'address to listen on (a non-loopback one needs TLS)', SERVE_LISTEN)
    .option('--tls-cert <file>', 'TLS certificate (PEM)')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--allow-plain-http', 'listen on a non-loopback address without TLS (passwords in the clear)')
    .option('--exclude <list>', 'never touch these targets in scans started from the dashboard')
    .option('--exclude-file <file>', 'never touch the targets listed in FILE in scans started from the dashboard')
    .option('--rate <n>', 'new connections per second of each scan it starts', SCAN_DEFAULTS.rate)
    .option('--concurrency <n>', 'hosts probed at once by each scan it starts', SCAN_DEFAULTS.concurrency)
    .option('--timeout <ms>', 'timeout of each network step of the scans it starts', SCAN_DEFAULTS.timeout)
    .option('--scans-at-once <n>', 'scans it runs at once on SQLite (PostgreSQL: workers run them)', '1')
    .option('-v, --verbose', 'details on stderr')
    .option('-q, --quiet', 'only errors on stderr')
    .option('--smtp <url>', "monitors' alert mail: smtp://[user:pass@]host[:port] or smtps://…")
    .option('--mail-from <address>', "monitors' alert mail: the sender")
    .addOption(
      new Option(
        '--metrics-token <token>',
        'serve GET /metrics (Prometheus) to this Bearer token, 16+ characters (better from the environment: a command line is visible to local users)',
      ).env('OPENDOOR_METRICS_TOKEN'),
    );
  addAttributionOptions(serve).action(async (options: ServeCliOptions) => {
    setExit(await (await import('./serveCommand.js')).serveCommand(options, io));
  });
  const user = program
    .command('user')
    .addHelpText('after', examples('user'))
    .description("the dashboard's accounts (opendoor serve)");
  user
    .command('add')
    .description('add a user, or set the role and password of one (the password: one line on stdin)')
    .argument('<name>')
    .addOption(dbOption())
    .addOption(new Option('--role <role>', 'admin | viewer').default('viewer'))
    .action(async (name: string, options: { db?: string; role: string }) => {
      setExit(await (await import('./userCommand.js')).userAddCommand(name, options, io));
    });
  user
    .command('token')
    .description('a new API token for the user (Authorization: Bearer TOKEN), printed once')
    .argument('<name>')
    .addOption(dbOption())
    .action(async (name: string, options: { db?: string }) => {
      setExit(await (await import('./userCommand.js')).userTokenCommand(name, options, io));
    });
  const optout = program
    .command('optout')
    .addHelpText('after', examples('optout'))
    .description('the standing opt-out list: networks no scan, worker, monitor or dashboard scan sends a packet to');
  const scopeArg = 'an address, CIDR (192.0.2.0/24), range (192.0.2.1-40) or AS number (AS64500)';
  optout
    .command('add')
    .description('add a scope to the list (again: a new reason)')
    .argument('<scope>', scopeArg)
    .option('--reason <text>', 'why (who asked, a ticket): one line')
    .addOption(dbOption())
    .action(async (scope: string, options: { db?: string; reason?: string }) => {
      setExit(await (await import('./optoutCommand.js')).optoutAddCommand(scope, options, io));
    });
  optout
    .command('list')
    .description('the scopes on the list')
    .option('--json', 'JSON Lines instead of a table')
    .addOption(dbOption())
    .action(async (options: { db?: string; json?: boolean }) => {
      setExit(await (await import('./optoutCommand.js')).optoutListCommand(options, io));
    });
  optout
    .command('remove')
    .description('take a scope off the list (written as it was added, or any spelling of the same block)')
    .argument('<scope>', scopeArg)
    .addOption(dbOption())
    .action(async (scope: string, options: { db?: string }) => {
      setExit(await (await import('./optoutCommand.js')).optoutRemoveCommand(scope, options, io));
    });
  return program;
}

/**
 * One line naming the error class, never its message (which could quote a peer), then the code
 * locations of the stack (file:line only) so that a bug report can be acted on.
 */
export function internalError(e: unknown): string {
  if (!(e instanceof Error)) return `opendoor: internal error: ${typeof e}\n`;
  const frames = (e.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 8);
  return `opendoor: internal error: ${e.name}\n${frames.map((l) => `  ${l.trim()}\n`).join('')}`;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help') return 2; // help shown because no command was given
      io.stderr(
        `opendoor: ${e.message
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim()}\n`,
      );
      return 2;
    }
    if (e instanceof InputError) {
      io.stderr(`opendoor: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Error && e.name === 'StoreError') {
      // the database is down, unreachable or newer than this release: one line, no stack
      io.stderr(`opendoor: ${e.message}\n`);
      return 1;
    }
    io.stderr(internalError(e));
    return 1;
  }
}
