import type { Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: '',
  help: 'tfvision demo: not available in this build yet',
  async run(): Promise<number> {
    process.stderr.write('tfvision demo: not available in this build yet\n');
    return 1;
  },
};
