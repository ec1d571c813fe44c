/** `genlab list`: the model families (with descriptions and the data they handle) and the data sets. */
import type { Command } from '../command.ts';
import { listModels } from '../../models/index.ts';
import { datasets } from '../../data/index.ts';

export const listCommand: Command = {
  name: 'list',
  summary: 'List model families and data sets',
  usage: '[--json]',
  flags: {
    json: { type: 'bool', help: 'print one JSON object instead of tables' },
  },
  async run(_positional, flags): Promise<number> {
    const models = listModels();
    const sets = Object.values(datasets);
    if (flags.json) {
      console.log(
        JSON.stringify({
          models: models.map((m) => ({ name: m.name, description: m.description, dataKinds: m.dataKinds, defaultConfig: m.defaultConfig })),
          data: sets.map((d) => ({ name: d.name, kind: d.kind, description: d.description, shape: d.shape })),
        }),
      );
      return 0;
    }
    const w = Math.max(8, ...models.map((m) => m.name.length)) + 2;
    console.log('Models:');
    for (const m of models) console.log(`  ${m.name.padEnd(w)}${m.description} [${m.dataKinds.join(', ')}]`);
    const dw = Math.max(8, ...sets.map((d) => d.name.length)) + 2;
    console.log('\nData sets:');
    for (const d of sets) console.log(`  ${d.name.padEnd(dw)}${d.kind.padEnd(7)}${d.description}`);
    console.log(`\nTrain one: genlab train <model> --data <set>   (genlab train --help for the flags)`);
    return 0;
  },
};
