import type { Command } from '../command.js';

export const trainCommand: Command = {
  name: 'train',
  summary: '',
  help: 'tfvision train: not available in this build yet',
  async run(): Promise<number> {
    process.stderr.write('tfvision train: not available in this build yet\n');
    return 1;
  },
};
