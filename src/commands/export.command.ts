import { Option, type Command } from 'commander';
import { examples, type CommandAction } from './definition.js';
import type { ExportFlags } from './flags.js';

export function defineExportCommand(program: Command, action: CommandAction): Command {
  return program
    .command('export')
    .summary('write a live deployment out as Terraform or CloudFormation that adopts it, both accounts, nothing recreated')
    .description(
      "Read a deployment as AWS holds it now, in both accounts, and write files that import it: Terraform (two aliased providers, one import block per resource, the function's code beside it) or CloudFormation (ordered templates per account, the KMS grant as a key-policy statement, a resources-to-import file per template). Resources kds-xacct adopted are referred to, never owned. Read-only: nothing changes in either account. A README.md in the output says how to run it and what the code cannot express.",
    )
    .addOption(new Option('--format <format>', 'terraform or cloudformation').makeOptionMandatory())
    .addOption(new Option('--out <dir>', 'the folder to write into; it must be empty or new unless --force').makeOptionMandatory())
    .option('--force', 'write into a folder that holds other files (files of the same names are replaced)')
    .addHelpText(
      'after',
      examples('kds-xacct export --name orders --format terraform --out infra/orders', 'kds-xacct export --name orders --format cloudformation --out infra/orders-cfn', 'kds-xacct export --sandbox --name demo --format terraform --out /tmp/demo-tf'),
    )
    .action(action<ExportFlags>(async () => (await import('./export.js')).runExport));
}
