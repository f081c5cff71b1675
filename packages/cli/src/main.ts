import { readFileSync } from 'node:fs';
import { UsageError } from './command.js';
import { commandLoaders } from './commands/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(commandLoaders).map((k) => k.length));
  const lines = Object.entries(commandLoaders).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['Usage: tfvision <command> [options]', '', 'Commands:', ...lines, '', 'Run `tfvision <command> --help` for a command\'s options.', ''].join('\n');
}

/** Runs the CLI; returns the exit code. Errors that users cause print one line, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const loader = commandLoaders[name];
  if (!loader) {
    process.stderr.write(`tfvision: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await loader.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tfvision ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Error && !process.env.TFVISION_DEBUG) {
      process.stderr.write(`tfvision ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
