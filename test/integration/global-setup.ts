import { execFileSync } from 'node:child_process';
import { integrationConfig } from './config.js';

/** Builds dist/ once when the suite will run (it runs the built binary); otherwise says why it is skipped. */
export default function setup(): void {
  const { config, skipped } = integrationConfig();
  if (!config) {
    process.stdout.write(`\n${skipped}\n\n`);
    return;
  }
  process.stdout.write(
    `\nIntegration suite: producer profile ${config.producerProfile}, consumer profile ${config.consumerProfile}, region ${config.region}` +
      `${config.endpoint ? `, endpoint ${config.endpoint}` : ' (real AWS)'}${config.verify ? '' : ', without --verify'}.\n\n`,
  );
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
