// Drive the stand-in server with Amplify's own data client (aws-amplify v6 generateClient),
// configured the way a Gen2 app is: model introspection generated from the data schema.
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/data';
import { readFileSync } from 'node:fs';

const modelIntrospection = JSON.parse(readFileSync(process.env.MODEL_INTROSPECTION));
Amplify.configure({
  API: { GraphQL: { endpoint: process.env.API_URL, region: 'us-east-1', defaultAuthMode: 'apiKey',
                    apiKey: process.env.API_KEY, modelIntrospection } }
});
const client = generateClient();
const now = () => new Date().toISOString();
const must = (result, what) => {
  if (result.errors && result.errors.length) {
    throw new Error(`${what}: ${JSON.stringify(result.errors)}`);
  }
  return result.data;
};
const out = {};

const card = must(await client.models.Scorecard.create({ name: 'JS QA', key: 'js-qa', accountId: 'acct' }), 'create scorecard');
const section = must(await client.models.ScorecardSection.create({ name: 'Main', order: 0, scorecardId: card.id }), 'create section');
const score = must(await client.models.Score.create({ name: 'Greeting', order: 0, type: 'Classifier', sectionId: section.id,
  metadata: JSON.stringify({ label_column: 'Greeting' }) }), 'create score');
const ids = [];
for (let i = 0; i < 5; i++) {
  const ds = must(await client.models.Dataset.create({ name: `calls-${i}`, scorecardId: card.id, scoreId: score.id,
    createdAt: now(), updatedAt: now() }), 'create dataset');
  ids.push(ds.id);
}
const ds = ids[0];
for (let n = 1; n <= 3; n++) {
  must(await client.models.DatasetVersion.create({ datasetId: ds, versionNumber: n,
    configuration: JSON.stringify({ class: 'FileItems', path: `v${n}.csv` }), createdAt: now() }), 'create version');
}
const versions = must(await client.models.DatasetVersion.listDatasetVersionByDatasetId({ datasetId: ds }), 'index query');
const v3 = versions.find(v => v.versionNumber === 3);
must(await client.models.Dataset.update({ id: ds, currentVersionId: v3.id }), 'update dataset');
// A stale compare-and-set through the condition argument fails the way AppSync fails it.
const v1 = versions.find(v => v.versionNumber === 1);
try {
  await client.graphql({
    query: `mutation Move($input: UpdateDatasetInput!, $condition: ModelDatasetConditionInput) {
      updateDataset(input: $input, condition: $condition) { id currentVersionId } }`,
    variables: { input: { id: ds, currentVersionId: v1.id }, condition: { currentVersionId: { eq: v1.id } } }
  });
  out.staleErrorType = null;
} catch (failed) {
  out.staleErrorType = failed.errors?.[0]?.errorType ?? String(failed);
}

const got = must(await client.models.Dataset.get({ id: ds }), 'get dataset');
const lazyVersions = must(await got.versions(), 'lazy hasMany');        // relationship loader
const current = must(await got.currentVersion(), 'lazy belongsTo');
const scorecard = must(await got.scorecard(), 'lazy belongsTo scorecard');
out.lazyVersionNumbers = lazyVersions.map(v => v.versionNumber).sort();
out.currentVersionNumber = current.versionNumber;
out.currentConfiguration = typeof current.configuration === 'string' ? JSON.parse(current.configuration) : current.configuration;
out.scorecardName = scorecard.name;

// Paging with a filter (applied after the limit): follow nextToken to the end.
let token = null; const pageSizes = []; const names = [];
do {
  const page = await client.models.Dataset.list({ filter: { name: { beginsWith: 'calls-' } }, limit: 2, nextToken: token });
  must(page, 'list page');
  pageSizes.push(page.data.length);
  names.push(...page.data.map(d => d.name));
  token = page.nextToken;
} while (token);
out.pagedNames = names.sort();
out.pageSizes = pageSizes;
const byScorecard = must(await client.models.Dataset.listDatasetByScorecardId({ scorecardId: card.id }), 'index query');
out.byScorecard = byScorecard.length;

// Records written by the Python package through its GraphQL backend read the same way.
if (process.env.PY_DATASET_ID) {
  const py = must(await client.models.Dataset.get({ id: process.env.PY_DATASET_ID }), 'get python dataset');
  const pyVersion = must(await py.currentVersion(), 'python current version');
  out.python = { name: py.name, versionNumber: pyVersion.versionNumber,
                 configuration: typeof pyVersion.configuration === 'string' ? JSON.parse(pyVersion.configuration) : pyVersion.configuration };
}
const deleted = must(await client.models.Dataset.delete({ id: ids[4] }), 'delete');
out.deleted = deleted.name;
const missing = await client.models.Dataset.get({ id: ids[4] });
out.afterDelete = missing.data;
console.log(JSON.stringify(out));
