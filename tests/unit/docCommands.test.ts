/**
 * Every shell command the docs show is run by a test, or is marked AWS-only. The docs
 * are README.md and docs/*.md; a command is a line of a ```bash or ```sh block (lines
 * ending in `\` joined, comment lines skipped) or a `$ ` line of a ```console block. It
 * passes when it is marked AWS-only (its block follows a line `<!-- aws-only -->`, or
 * the line ends with `# AWS only`), or when RUN_BY lists it with the file that runs it:
 * that file exists and holds what shows it runs that command (the command itself, or
 * the npm script with its arguments), and an `npm run` script exists in package.json.
 * A new command, unmarked and unlisted, fails here until a test runs it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../infra/local/toolbox/localDefaults.js';

interface DocCommand {
  readonly doc: string;
  readonly line: number;
  readonly command: string;
  readonly awsOnly: boolean;
}

const AWS_ONLY_BLOCK = '<!-- aws-only -->';
const AWS_ONLY_LINE = /\s+# AWS only$/;

/** The shell commands of one markdown text, each with its line and whether it is marked AWS-only. Pure. */
function docCommands(doc: string, text: string): DocCommand[] {
  const lines = text.split('\n');
  const commands: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(bash|sh|console)\s*$/.exec(lines[i] as string);
    if (fence === null) continue;
    const blockAwsOnly = lines[i - 1]?.trim() === AWS_ONLY_BLOCK;
    const isConsole = fence[1] === 'console';
    let pending: { start: number; text: string } | undefined;
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) {
      let line = lines[i] as string;
      if (pending === undefined) {
        if (isConsole) {
          if (!line.startsWith('$ ')) continue; // output
          line = line.slice(2);
        }
        if (line.trim() === '' || line.trim().startsWith('#')) continue;
        pending = { start: i + 1, text: '' };
      }
      pending.text += line.endsWith('\\') ? `${line.slice(0, -1)} ` : line;
      if (line.endsWith('\\')) continue;
      const raw = pending.text.replace(/\s+/g, ' ').trim();
      commands.push({
        doc,
        line: pending.start,
        command: raw.replace(AWS_ONLY_LINE, '').replace(/\s+# [^'"`]*$/, ''),
        awsOnly: blockAwsOnly || AWS_ONLY_LINE.test(raw),
      });
      pending = undefined;
    }
  }
  return commands;
}

interface RunBy {
  /** The command as the docs spell it (whitespace collapsed, a trailing comment left out). */
  readonly command: string | RegExp;
  /** The test (or CI's script) that runs it. */
  readonly file: string;
  /** What that file holds that shows it runs this command: the command, or the npm script and its arguments. */
  readonly shows: (command: string) => string[];
  /** How, when it is not plain. */
  readonly how?: string;
}

const same = (command: string) => [command];

/** Every command the docs show that is not AWS-only, and what runs it. */
const RUN_BY: readonly RunBy[] = [
  {
    command: /^pip install "moto\[server\](==[\d.]+)?"$/,
    file: '.ci/run',
    // The same requirement, at the same version when the docs pin one.
    shows: (command) => ['pip install ', 'moto[server]', ...(/==([\d.]+)/.exec(command)?.slice(1) ?? [])],
    how: '.ci/run stops with this line when moto_server is missing (tests/unit/ciScript.test.ts runs that)',
  },
  { command: 'npm ci', file: '.ci/run', shows: same },
  { command: 'npm test', file: '.ci/run', shows: same },
  { command: 'npm start', file: 'tests/integration/infra/local/start.test.ts', shows: () => ["spawn('npm', ['start'"] },
  {
    command: /^curl -i localhost:3000\/(predictions|truths) -H 'content-type: application\/json' -d '.*'$/,
    file: 'tests/e2e/ingest.test.ts',
    shows: () => ["readmeCurls('README.md')", "execFile)('bash', ['-c'"],
    how: "the README's curl lines, run with the stack's port for 3000",
  },
  {
    command: 'npm run ingest -- --truths truths.csv --predictions predictions.csv',
    file: 'tests/e2e/ingest.test.ts',
    shows: () => ["'ingest',", "'--',", "'--truths',", "'--predictions',"],
  },
  { command: 'npm run -s alerts', file: 'tests/e2e/alerts.test.ts', shows: () => ["'npm', ['run', '-s', 'alerts']"] },
  {
    command: 'export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1',
    file: 'tests/helpers/awsCli.ts',
    shows: () => ['AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION'],
    how: "the environment awsLambdaInvoke runs the CLI in (tests/e2e/crossOrigin.test.ts), the emulators' dummy keys",
  },
  {
    command: 'aws lambda invoke --endpoint-url http://localhost:3002 --function-name ml-monitor-dev-features out.json',
    file: 'tests/e2e/crossOrigin.test.ts',
    shows: () => ["awsLambdaInvoke(stack.lambdaEndpoint, functionName('features'))"],
    how: "tests/helpers/awsCli.ts runs `aws lambda invoke --endpoint-url … --function-name … out.json` on the stack's Lambda port",
  },
  {
    command: 'aws --endpoint-url http://localhost:4566 s3 cp --recursive s3://ml-monitor-dev/metric_log/ logs-from-s3/metric_log/',
    file: 'tests/integration/logQueries.test.ts',
    shows: () => ["'s3',", "'cp',", "'--recursive',", 'expect(DOC).toContain(`aws ${fetchArgs(LOCAL_ENDPOINT, BUCKET)'],
  },
  {
    command: 'npm run dlq -- list',
    file: 'tests/integration/infra/tools/dlq/cli.test.ts',
    shows: () => ["'infra/tools/dlq/cli.ts'", "runCli(['list'])"],
  },
  {
    command: 'npm run dlq -- show y_true',
    file: 'tests/integration/infra/tools/dlq/cli.test.ts',
    shows: () => ["'infra/tools/dlq/cli.ts'", "runCli(['show', 'y_true'"],
  },
  {
    command: 'npm run dlq -- redrive y_true',
    file: 'tests/integration/infra/tools/dlq/cli.test.ts',
    shows: () => ["'infra/tools/dlq/cli.ts'", "runCli(['redrive', 'y_true'])"],
  },
  {
    command: 'npm run reference -- --model v1 --csv ref.csv',
    file: 'tests/integration/infra/tools/reference/cli.test.ts',
    shows: () => ["'reference', '--',", "runCli(['--model', 'v1', '--csv', refCsv])"],
    how: "into a moto_server's bucket, from a CSV of diabetes rows written as ref.csv",
  },
  {
    command: /^npm run scenario -- (drift|degrade)$/,
    file: 'tests/integration/infra/tools/scenario/cli.test.ts',
    shows: (command) => ["'scenario', '--',", `it.each(['drift', 'degrade'] as const)`, command.split(' ').at(-1) as string],
    how: 'with short --minutes, --label-delay and --rate, against a stand-in API that records what it is sent',
  },
  {
    command: 'npm run plot -- --input logs/metric_log.csv --output histogram.png',
    file: 'tests/unit/infra/tools/plot/cli.test.ts',
    shows: () => ["parseArguments(['--input', 'in.csv', '--output', 'out.png'", 'plotFile({ input, output'],
    how: 'its options parsed, and a CSV plotted to a PNG by the same code, in the test process',
  },
];

const DOCS = [
  'README.md',
  ...readdirSync(join(PROJECT_DIR, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const read = (file: string) => readFileSync(join(PROJECT_DIR, file), 'utf8');
const shown = DOCS.flatMap((doc) => docCommands(doc, read(doc)));
const matches = (entry: RunBy, command: string) =>
  typeof entry.command === 'string' ? entry.command === command : entry.command.test(command);

describe('the commands the docs show', () => {
  it('are found in README.md and docs/', () => {
    expect(DOCS).toContain('docs/operations.md');
    expect(shown.filter((c) => !c.awsOnly).length).toBeGreaterThan(10);
    expect(shown.filter((c) => c.awsOnly).length).toBeGreaterThan(3);
  });

  it('are each run by a test, or marked AWS-only', () => {
    const unaccounted = shown.filter((c) => !c.awsOnly && !RUN_BY.some((entry) => matches(entry, c.command)));

    expect(unaccounted.map((c) => `${c.doc}:${c.line}: ${c.command}`)).toEqual([]);
  });

  it('each run by a file that exists and shows it runs that command', () => {
    for (const entry of RUN_BY) {
      const commands = shown.filter((c) => !c.awsOnly && matches(entry, c.command)).map((c) => c.command);
      expect(commands, `${entry.command} is in the list but no doc shows it`).not.toEqual([]);
      expect(existsSync(join(PROJECT_DIR, entry.file)), entry.file).toBe(true);
      const text = read(entry.file);
      for (const command of commands) {
        const missing = entry.shows(command).filter((evidence) => !text.includes(evidence));
        expect(missing, `${entry.file} does not show it runs ${command}`).toEqual([]);
      }
    }
  });

  it('name npm scripts package.json has', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = shown
      .map((c) => /^npm (?:run (?:-s )?)?([\w:-]+)/.exec(c.command)?.[1])
      .filter((name): name is string => name !== undefined && !['ci', 'install'].includes(name));

    expect(named.length).toBeGreaterThan(5);
    for (const name of named) expect(scripts, name).toContain(name);
  });

  it("give the test command .ci/run runs as the README's Test it", () => {
    const readme = read('README.md');
    const testSection = readme.slice(readme.indexOf('## Test it'), readme.indexOf('\n## ', readme.indexOf('## Test it') + 1));
    const ciCommands = read('.ci/run')
      .split('\n')
      .filter((line) => /^npm /.test(line));

    expect(docCommands('README.md', testSection).map((c) => c.command)).toEqual(['npm test']);
    expect(ciCommands.at(-1)).toBe('npm test');
  });
});

/** GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .replace(/\s/g, '-');

describe('the links between the docs', () => {
  it('point to files that exist, and to headings they have', () => {
    const broken = DOCS.flatMap((doc) =>
      [...read(doc).matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1] as string)
        .filter((target) => !/^[a-z]+:/.test(target))
        .filter((target) => {
          const [path = '', anchor] = target.split('#');
          const file = path === '' ? doc : join(dirname(doc), path);
          if (!existsSync(join(PROJECT_DIR, file))) return true;
          if (anchor === undefined) return false;
          const headings = [...read(file).matchAll(/^#+ (.*)$/gm)].map((match) => anchorOf(match[1] as string));
          return !headings.includes(anchor);
        })
        .map((target) => `${doc}: ${target}`),
    );

    expect(broken).toEqual([]);
  });
});

describe('docCommands', () => {
  it('takes the lines of sh and bash blocks, joined at a trailing backslash, without comments', () => {
    const text = ['```sh', '# a comment', 'npm run x -- --a \\', '  --b   # why', '', 'npm test', '```', '```bash', 'ls', '```'].join('\n');

    expect(docCommands('d.md', text)).toEqual([
      { doc: 'd.md', line: 3, command: 'npm run x -- --a --b', awsOnly: false },
      { doc: 'd.md', line: 6, command: 'npm test', awsOnly: false },
      { doc: 'd.md', line: 9, command: 'ls', awsOnly: false },
    ]);
  });

  it("takes a console block's $ lines only, and leaves other blocks alone", () => {
    const text = [
      '```console',
      '$ npm run -s alerts',
      '2026-11-27T07:02:04.120Z  FIRING',
      '```',
      '```',
      'npm start',
      '```',
      '```sql',
      'SELECT 1;',
      '```',
    ].join('\n');

    expect(docCommands('d.md', text).map((c) => c.command)).toEqual(['npm run -s alerts']);
  });

  it('marks a block after <!-- aws-only --> and a line ending in # AWS only, and nothing else', () => {
    const text = ['<!-- aws-only -->', '```sh', 'npx sls deploy', '```', '```sh', 'aws s3 ls   # AWS only', 'aws s3 cp a b', '```'].join(
      '\n',
    );

    expect(docCommands('d.md', text)).toEqual([
      { doc: 'd.md', line: 3, command: 'npx sls deploy', awsOnly: true },
      { doc: 'd.md', line: 6, command: 'aws s3 ls', awsOnly: true },
      { doc: 'd.md', line: 7, command: 'aws s3 cp a b', awsOnly: false },
    ]);
  });

  it('leaves a new unmarked command unaccounted for', () => {
    const [added] = docCommands('d.md', ['```sh', 'npm run something-new', '```'].join('\n'));

    expect(RUN_BY.some((entry) => matches(entry, added?.command ?? ''))).toBe(false);
  });
});
