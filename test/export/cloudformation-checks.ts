import { RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { CLOUDFORMATION_PRIMARY_ID } from '../../src/export/import-ids.js';

type Template = { Parameters?: Record<string, { Default?: string }>; Resources: Record<string, { Type: string; DeletionPolicy: string; UpdateReplacePolicy: string; Properties: Record<string, unknown> }> };
type ImportEntry = { ResourceType: keyof typeof CLOUDFORMATION_PRIMARY_ID; LogicalResourceId: string; ResourceIdentifier: Record<string, string> };

let engine: InstanceType<typeof RegoEngine> | undefined;

/**
 * Loads AWS's offline validator: building its engine takes seconds (about 12 s on a loaded machine), once per
 * test file, so a test file calls this in `beforeAll` with a timeout of its own rather than in its first test.
 */
export function loadValidator(): void {
  engine ??= new RegoEngine();
}

/** AWS's offline validator's findings of severity ERROR or FATAL for one template. */
function validatorErrors(file: string): string[] {
  if (!engine) throw new Error('Call loadValidator() in beforeAll first.');
  return engine
    .validateStandard(new TemplateFile(file))
    .diagnostics.filter((d) => d.severity === 'ERROR' || d.severity === 'FATAL')
    .map((d) => `${path.basename(file)}: ${d.ruleId} ${d.message}`);
}

/**
 * Checks every template of a CloudFormation export in `dir`: no validator error, Retain on every resource,
 * and a resources-to-import file naming each resource once by exactly its type's primary identifier.
 * Returns the templates and every identifier value the import files name.
 */
export function checkCloudFormation(dir: string) {
  const files = readdirSync(dir).filter((f) => /^\d-.*(?<!\.import)\.json$/.test(f)).sort();
  const templates: Record<string, Template> = {};
  const ids: string[] = [];
  for (const file of files) {
    expect(validatorErrors(path.join(dir, file))).toEqual([]);
    const template = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Template;
    templates[file] = template;
    for (const [id, r] of Object.entries(template.Resources)) expect([id, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([id, 'Retain', 'Retain']);
    const imports = JSON.parse(readFileSync(path.join(dir, file.replace(/\.json$/, '.import.json')), 'utf8')) as ImportEntry[];
    expect(imports.map((i) => i.LogicalResourceId).sort()).toEqual(Object.keys(template.Resources).sort());
    for (const i of imports) {
      expect(i.ResourceType).toBe(template.Resources[i.LogicalResourceId]!.Type);
      expect(Object.keys(i.ResourceIdentifier).sort()).toEqual([...CLOUDFORMATION_PRIMARY_ID[i.ResourceType]].sort());
      ids.push(...Object.values(i.ResourceIdentifier));
    }
  }
  return { files, templates, ids };
}
