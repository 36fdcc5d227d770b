import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KinesisClient, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { arns } from '../../src/pipeline/names.js';
import { ARN_FORMS, KINESIS_ENCRYPTION_CONTEXT, LAMBDA_CONSUMER_ACTIONS, LAMBDA_KEY_ACTIONS, LAMBDA_STREAM_ACTIONS } from '../../src/sandbox/aws-requirements.js';
import { FakeCloud } from '../../src/sandbox/index.js';

const TEST_DIR = join(import.meta.dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The names a file imports from the product's policies module. */
function namesImportedFromPolicies(source: string): string[] {
  const imports = source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'[./]*\/src\/pipeline\/policies\.js'/g);
  return [...imports].flatMap((m) => m[1]!.split(',').map((name) => name.trim().replace(/^type\s+/, ''))).filter(Boolean);
}

describe('what AWS requires of the consumer role (src/sandbox/aws-requirements.ts)', () => {
  it('names every action in the words of the public source it comes from', () => {
    for (const required of [...LAMBDA_STREAM_ACTIONS, ...LAMBDA_CONSUMER_ACTIONS, ...LAMBDA_KEY_ACTIONS]) {
      expect(required.source, required.action).toMatch(/Guide|Reference/);
      expect(required.quote, required.action).toContain(required.action.replace(/^kinesis:/, ''));
    }
    expect(KINESIS_ENCRYPTION_CONTEXT.quote).toContain(`"${KINESIS_ENCRYPTION_CONTEXT.key}"`);
    expect(KINESIS_ENCRYPTION_CONTEXT.quote).toContain(KINESIS_ENCRYPTION_CONTEXT.conditionKey);
  });

  it("is met by the ARNs the product and the sandbox build, in AWS's documented forms", async () => {
    expect(arns.stream('eu-west-1', '111111111111', 'orders-stream')).toMatch(ARN_FORMS.stream.pattern);
    expect(arns.stream('cn-north-1', '111111111111', 'orders-stream')).toMatch(ARN_FORMS.stream.pattern);
    expect(arns.kmsKey('eu-west-1', '111111111111', '1234abcd-12ab-34cd-56ef-1234567890ab')).toMatch(ARN_FORMS.key.pattern);
    const cloud = new FakeCloud({ clock: new VirtualClock(), latency: { apiCall: 0 } });
    cloud.addAccount('111111111111');
    cloud.seedStream('111111111111', 'eu-west-1', { name: 'orders-stream' });
    const kinesis = cloud.attach(new KinesisClient({ region: 'eu-west-1', credentials: cloud.credentialsFor('111111111111') }));
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arns.stream('eu-west-1', '111111111111', 'orders-stream'), ConsumerName: 'orders-efo' }));
    expect(Consumer?.ConsumerARN).toMatch(ARN_FORMS.consumer.pattern);
    expect(`${arns.stream('eu-west-1', '111111111111', 'orders-stream')}/consumer/orders-efo`).not.toMatch(ARN_FORMS.consumer.pattern);
  });

  it("is what the tests judge the product by: no test takes the product's own lists of actions or context keys as the expected answer", () => {
    const productLists = ['STREAM_READ_ACTIONS', 'CONSUMER_ACTIONS', 'KINESIS_ENCRYPTION_CONTEXT_KEY'];
    const offenders = testFiles(TEST_DIR).flatMap((file) =>
      namesImportedFromPolicies(readFileSync(file, 'utf8'))
        .filter((name) => productLists.includes(name))
        .map((name) => `${relative(TEST_DIR, file)} imports ${name}`),
    );
    expect(offenders).toEqual([]);
    expect(namesImportedFromPolicies("import {\n  CONSUMER_ACTIONS,\n  type PolicyStatement,\n} from '../../src/pipeline/policies.js';")).toEqual(['CONSUMER_ACTIONS', 'PolicyStatement']);
  });
});
