// Drive `plexus-datasets serve --schema plexus` with Amplify's own data client (aws-amplify v6
// generateClient), configured with Plexus's model introspection as the dashboard is.
// Usage: node check_plexus.mjs <graphql url> <api key> [account key made by `serve --account-key`]
// (MODEL_INTROSPECTION overrides the introspection file.) Throws on the first mismatch; otherwise
// prints one JSON summary line for tests/test_amplify_client_plexus.py.
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/data';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';

const [endpoint, apiKey, accountKey] = process.argv.slice(2);
if (!endpoint || !apiKey) throw new Error('usage: node check_plexus.mjs <graphql url> <api key> [account key]');
const introspectionPath = process.env.MODEL_INTROSPECTION
  ?? new URL('../../plexus_datasets/server/contracts/plexus/model_introspection.json', import.meta.url);
const modelIntrospection = JSON.parse(readFileSync(introspectionPath, 'utf8'));
Amplify.configure({
  API: { GraphQL: { endpoint, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey, modelIntrospection } }
});
const client = generateClient();
const { Account, Scorecard, ScorecardSection, Score, ScoreVersion, DataSource, DataSourceVersion, DataSet } = client.models;
const out = {};

const must = (result, what) => {
  if (result.errors?.length) throw new Error(`${what}: ${JSON.stringify(result.errors)}`);
  return result.data;
};
const expect = (actual, expected, what) => {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
  return actual;
};
const errorTypeOf = (result) => result.errors?.[0]?.errorType ?? null;
// Plexus's timestamps: datetime.now(timezone.utc).isoformat(), microseconds and +00:00.
const plexusTime = (day, minute = 0) => `2025-03-${String(day).padStart(2, '0')}T10:${String(minute).padStart(2, '0')}:00.123456+00:00`;
const SERVER_NOW = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const sorted = (values) => [...values].sort();

// Every page of an index query or list, following nextToken until null.
async function allPages(fetchPage, what) {
  const pages = [];
  let nextToken = null;
  do {
    const page = await fetchPage(nextToken);
    must(page, what);
    pages.push({ names: page.data.map(item => item.name), nextToken: page.nextToken ?? null });
    nextToken = page.nextToken;
    if (pages.length > 50) throw new Error(`${what}: nextToken never ran out`);
  } while (nextToken);
  return pages;
}
const pageSummary = (pages) => ({
  names: pages.flatMap(page => page.names),
  sizes: pages.map(page => page.names.length),
  shortPagesWithToken: pages.filter(page => page.names.length < 2 && page.nextToken).length,
});

// --- accounts ------------------------------------------------------------------------------
if (accountKey) {  // the Account `serve --account-key` made, through the generated index query
  const found = must(await Account.listAccountByKey({ key: accountKey }), 'listAccountByKey');
  out.servedAccount = found.map(a => ({ name: a.name, key: a.key }));
}
const account = must(await Account.create({ name: 'JS account', key: 'js-account',
  settings: JSON.stringify({ theme: 'dark' }) }), 'create account');
expect(SERVER_NOW.test(account.createdAt) && account.createdAt === account.updatedAt, true, 'account server timestamps');
out.accountSettings = JSON.parse(must(await Account.get({ id: account.id }), 'get account').settings);

// --- scorecard, section, score, score versions ---------------------------------------------
const scorecard = must(await Scorecard.create({ name: 'Support QA', key: 'support-qa', accountId: account.id,
  externalId: 'sc-ext-1' }), 'create scorecard');
const section = must(await ScorecardSection.create({ name: 'Main', order: 0, scorecardId: scorecard.id }), 'create section');
const score = must(await Score.create({ name: 'Greeting', order: 1, type: 'LangGraphScore', sectionId: section.id,
  scorecardId: scorecard.id, externalId: 'score-ext-1' }), 'create score');
const scoreVersions = [];
for (const [n, featured] of [[1, 'true'], [2, 'false'], [3, 'true'], [4, 'true'], [5, 'false']]) {
  scoreVersions.push(must(await ScoreVersion.create({ scoreId: score.id, configuration: `name: Greeting v${n}\n`,
    isFeatured: featured, note: `sv${n}`, createdAt: plexusTime(n), updatedAt: plexusTime(n) }), 'create score version'));
}
const scoreGot = must(await Score.get({ id: score.id }), 'get score');
out.scoreSection = must(await scoreGot.section(), 'score.section()').name;
out.sectionScores = must(await section.scores(), 'section.scores()').map(s => s.name);
out.scorecardSections = must(await scorecard.sections(), 'scorecard.sections()').map(s => s.name);
// The composite sort key isFeatured#createdAt: featured versions only, newest first.
const featured = must(await ScoreVersion.listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt(
  { scoreId: score.id, isFeaturedCreatedAt: { beginsWith: { isFeatured: 'true' } } }, { sortDirection: 'DESC' }),
'composite index query');
out.featuredScoreVersions = featured.map(v => v.note);
const featuredSince = must(await ScoreVersion.listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt(
  { scoreId: score.id, isFeaturedCreatedAt: { between: [{ isFeatured: 'true', createdAt: plexusTime(2) },
    { isFeatured: 'true', createdAt: plexusTime(9) }] } }), 'composite between');
out.featuredBetween = featuredSince.map(v => v.note);
const scoreVersionsDesc = must(await ScoreVersion.listScoreVersionByScoreIdAndCreatedAt(
  { scoreId: score.id, createdAt: { le: plexusTime(3) } }, { sortDirection: 'DESC' }), 'score versions by createdAt');
out.scoreVersionsUpToDay3Desc = scoreVersionsDesc.map(v => v.note);

// --- data sources and versions -------------------------------------------------------------
const source = must(await DataSource.create({ name: 'Support calls', key: 'support-calls', accountId: account.id,
  scorecardId: scorecard.id, scoreId: score.id, description: 'Calls', yamlConfiguration: 'class: CallsLoader\n',
  attachedFiles: ['s3://bucket/calls.csv'], createdAt: plexusTime(1), updatedAt: plexusTime(1) }), 'create data source');
out.sourceTimestamps = [source.createdAt, source.updatedAt];
const versions = [];
let parent = null;
for (let n = 1; n <= 4; n++) {
  const version = must(await DataSourceVersion.create({ dataSourceId: source.id, yamlConfiguration: `class: CallsLoader\nv: ${n}\n`,
    isFeatured: n % 2 === 1, note: `v${n}`, parentVersionId: parent, createdAt: plexusTime(n + 1), updatedAt: plexusTime(n + 1) }),
  'create data source version');
  versions.push(version);
  parent = version.id;
}
const byId = Object.fromEntries(versions.map(v => [v.id, v.note]));
out.versionCreatedAt = versions.map(v => v.createdAt);

// Data sets on v3 (the one that becomes current) and one on v1; Plexus sends no timestamps for them.
const buildContext = { source: 'Support calls', rows: 120, columns: ['text', 'Greeting'], split: { train: 0.8 } };
const dataSets = [];
for (const [name, version, reference] of [['train', 2, true], ['holdout', 2, false], ['extra', 2, false], ['old', 0, false]]) {
  dataSets.push(must(await DataSet.create({ name, accountId: account.id, scorecardId: scorecard.id, scoreId: score.id,
    scoreVersionId: scoreVersions[0].id, dataSourceVersionId: versions[version].id, isReferenceDataset: reference,
    buildContext: JSON.stringify({ ...buildContext, name }), provenance: JSON.stringify({ by: 'check_plexus' }) }),
  'create data set'));
}
expect(dataSets.every(d => SERVER_NOW.test(d.createdAt)), true, 'data set server timestamps');

// --- get and the relationship loaders ------------------------------------------------------
const sourceGot = must(await DataSource.get({ id: source.id }), 'get data source');
out.sourceGot = { name: sourceGot.name, key: sourceGot.key, attachedFiles: sourceGot.attachedFiles,
  currentVersionId: sourceGot.currentVersionId };
out.sourceVersions = sorted(must(await sourceGot.versions(), 'dataSource.versions()').map(v => v.note));
out.sourceAccount = must(await sourceGot.account(), 'dataSource.account()').key;
out.sourceCurrentBefore = must(await sourceGot.currentVersion(), 'dataSource.currentVersion() before');
const v3 = must(await DataSourceVersion.get({ id: versions[2].id }), 'get version');
out.versionSource = must(await v3.dataSource(), 'version.dataSource()').name;
out.versionParent = must(await v3.parentVersion(), 'version.parentVersion()').note;
out.versionChildren = must(await v3.childVersions(), 'version.childVersions()').map(v => v.note);
out.versionDataSets = sorted(must(await v3.dataSets(), 'version.dataSets()').map(d => d.name));
const train = must(await DataSet.get({ id: dataSets[0].id }), 'get data set');
out.dataSetVersion = must(await train.dataSourceVersion(), 'dataSet.dataSourceVersion()').note;
out.dataSetScoreVersion = must(await train.scoreVersion(), 'dataSet.scoreVersion()').note;
out.buildContext = typeof train.buildContext === 'string' ? JSON.parse(train.buildContext) : { notAString: train.buildContext };
out.scorecardDataSources = must(await scorecard.dataSources(), 'scorecard.dataSources()').map(d => d.name);
out.scoreDataSets = sorted(must(await scoreGot.dataSets(), 'score.dataSets()').map(d => d.name));
// A custom selection set: the server's own connection fields in one request.
const nested = must(await DataSource.get({ id: source.id }, { selectionSet: ['name', 'versions.note', 'account.key',
  'versions.dataSets.name'] }), 'get with selection set');
out.nested = { account: nested.account.key, versions: sorted(nested.versions.map(v => v.note)),
  dataSetsPerVersion: Object.fromEntries(nested.versions.map(v => [v.note, v.dataSets.length])) };

// --- index queries with key conditions -----------------------------------------------------
const versionQuery = async (createdAt, options) => must(await DataSourceVersion.listDataSourceVersionByDataSourceIdAndCreatedAt(
  { dataSourceId: source.id, ...(createdAt ? { createdAt } : {}) }, options), 'versions by createdAt').map(v => byId[v.id]);
out.versionsDesc = await versionQuery(null, { sortDirection: 'DESC' });
out.versionsAsc = await versionQuery(null);
out.versionsBetween = await versionQuery({ between: [plexusTime(3), plexusTime(4)] });
out.versionsGeDesc = await versionQuery({ ge: plexusTime(3) }, { sortDirection: 'DESC' });
out.versionsBeginsWith = await versionQuery({ beginsWith: '2025-03-05' });
out.versionsLtFiltered = await versionQuery({ lt: plexusTime(5) }, { filter: { isFeatured: { eq: true } } });
out.sourceByName = must(await DataSource.listDataSourceByAccountIdAndName({ accountId: account.id,
  name: { eq: 'Support calls' } }), 'data source by name').map(d => d.id === source.id);
out.sourceByKey = must(await DataSource.listDataSourceByAccountIdAndKey({ accountId: account.id,
  key: { beginsWith: 'support' } }), 'data source by key').map(d => d.key);
out.referenceSets = must(await DataSet.listDataSetByDataSourceVersionIdAndCreatedAt({ dataSourceVersionId: versions[2].id },
  { filter: { isReferenceDataset: { eq: true } } }), 'reference data sets').map(d => d.name);
out.scorecardByExternalId = must(await Scorecard.listScorecardByAccountIdAndExternalId({ accountId: account.id,
  externalId: { eq: 'sc-ext-1' } }), 'scorecard by external id').map(s => s.key);
// Sort direction on an index without a sort key: the resolver refuses it.
const noSortKey = await Account.listAccountByKey({ key: 'js-account' }, { sortDirection: 'DESC' });
out.noSortKeyError = { type: errorTypeOf(noSortKey), message: noSortKey.errors?.[0]?.message ?? null };
const noSortKeySections = await ScorecardSection.listScorecardSectionByScorecardId({ scorecardId: scorecard.id },
  { sortDirection: 'ASC' });
out.noSortKeySectionsError = errorTypeOf(noSortKeySections);
out.withoutSortDirection = must(await Account.listAccountByKey({ key: 'js-account' }), 'account by key').length;

// --- filtered paging: the filter applies after the limit -----------------------------------
// Interleaved by updatedAt, so each index page of 2 holds one calls-* and one other-*.
for (let i = 0; i < 5; i++) {
  for (const prefix of ['calls', 'other']) {
    must(await DataSource.create({ name: `${prefix}-${i}`, accountId: account.id, ...(prefix === 'calls' ? { key: `calls-${i}` } : {}),
      createdAt: plexusTime(10 + i, prefix === 'calls' ? 0 : 30), updatedAt: plexusTime(10 + i, prefix === 'calls' ? 0 : 30) }),
    'create paged data source');
  }
}
const callsFilter = { name: { beginsWith: 'calls-' } };
out.indexPaging = pageSummary(await allPages(nextToken => DataSource.listDataSourceByAccountIdAndUpdatedAt(
  { accountId: account.id, updatedAt: { ge: plexusTime(10) } }, { filter: callsFilter, limit: 2, nextToken }), 'index paging'));
out.indexPagingDesc = pageSummary(await allPages(nextToken => DataSource.listDataSourceByAccountIdAndUpdatedAt(
  { accountId: account.id }, { filter: callsFilter, limit: 3, sortDirection: 'DESC', nextToken }), 'index paging DESC'));
out.scanPaging = pageSummary(await allPages(nextToken => DataSource.list({ filter: callsFilter, limit: 2, nextToken }),
  'scan paging'));
// Sparse index: only the data sources that have a key are in byAccountIdAndKey.
out.keyedSources = sorted(must(await DataSource.listDataSourceByAccountIdAndKey({ accountId: account.id }),
  'keyed sources').map(d => d.key));

// --- conditions ----------------------------------------------------------------------------
// The models API takes no `condition`: data-schema 1.26.2 sends only `input` (buildGraphQLVariables),
// so a stale condition passed as an option goes unsent and the update succeeds.
const unconditioned = await DataSource.update({ id: source.id, currentVersionId: versions[0].id },
  { condition: { currentVersionId: { eq: 'not-the-current-version' } } });
out.modelsApiCondition = { errorType: errorTypeOf(unconditioned), currentVersion: byId[unconditioned.data?.currentVersionId] };
// So the optimistic pointer swap goes through client.graphql, as Plexus's datasets.py sends it.
const SWAP = `mutation Swap($input: UpdateDataSourceInput!, $condition: ModelDataSourceConditionInput) {
  updateDataSource(input: $input, condition: $condition) { id currentVersionId updatedAt } }`;
const swap = async (from, to) => {
  try {
    const done = await client.graphql({ query: SWAP, variables: { input: { id: source.id, currentVersionId: to.id },
      condition: { currentVersionId: { eq: from.id } } } });
    return { currentVersion: byId[done.data.updateDataSource.currentVersionId], updatedAt: done.data.updateDataSource.updatedAt };
  } catch (failed) {
    if (!failed.errors) throw failed;
    return { errorType: failed.errors[0].errorType, data: failed.data?.updateDataSource ?? null };
  }
};
out.swap = await swap(versions[0], versions[2]);
out.swapUpdatedAtIsServerNow = SERVER_NOW.test(out.swap.updatedAt ?? '') && out.swap.updatedAt !== plexusTime(1);
delete out.swap.updatedAt;
out.staleSwap = await swap(versions[0], versions[3]);
out.sourceCurrentAfter = must(await (must(await DataSource.get({ id: source.id }), 'get after swaps')).currentVersion(),
  'dataSource.currentVersion() after').note;
// A create whose condition fails writes nothing (models API create sends no condition either: raw document).
try {
  await client.graphql({ query: `mutation C($input: CreateDataSourceVersionInput!, $condition: ModelDataSourceVersionConditionInput) {
    createDataSourceVersion(input: $input, condition: $condition) { id } }`,
  variables: { input: { dataSourceId: source.id, yamlConfiguration: 'x: 1\n', isFeatured: false, note: 'v-conditional' },
    condition: { note: { eq: 'impossible' } } } });
  out.conditionalCreate = 'written';
} catch (failed) {
  if (!failed.errors) throw failed;
  out.conditionalCreate = failed.errors[0].errorType;
}
out.versionsAfterConditionalCreate = (await versionQuery(null)).length;

// --- delete --------------------------------------------------------------------------------
const deleted = must(await DataSet.delete({ id: dataSets[2].id }), 'delete data set');
out.deleted = deleted.name;
out.afterDelete = (await DataSet.get({ id: dataSets[2].id })).data;
out.versionDataSetsAfterDelete = sorted(must(await v3.dataSets(), 'version.dataSets() after delete').map(d => d.name));
const deleteMissing = await DataSet.delete({ id: dataSets[2].id });
out.deleteMissingError = errorTypeOf(deleteMissing);

// The checks this script makes itself; the test asserts on the summary too.
expect(out.sourceTimestamps, [plexusTime(1), plexusTime(1)], 'client timestamps kept as sent');
expect(out.versionsDesc, ['v4', 'v3', 'v2', 'v1'], 'versions newest first');
expect(out.versionsBetween, ['v2', 'v3'], 'between');
expect(out.sourceCurrentAfter, 'v3', 'current version after the swaps');
expect(out.staleSwap.errorType, 'DynamoDB:ConditionalCheckFailedException', 'stale swap');
expect(out.noSortKeyError.type, 'InvalidArgumentsError', 'sortDirection without a sort key');
for (const paging of [out.indexPaging, out.indexPagingDesc, out.scanPaging]) {
  expect(sorted(paging.names), ['calls-0', 'calls-1', 'calls-2', 'calls-3', 'calls-4'], 'filtered paging sees each once');
}
console.log(JSON.stringify(out));
