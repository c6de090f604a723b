// The data schema of ../../plexus_datasets/backends/schema.graphql, written with Amplify Gen2's
// data-schema builder (as the Plexus dashboard defines its models).
import { a } from '@aws-amplify/data-schema';

export const schema = a.schema({
  Scorecard: a.model({
    name: a.string().required(), key: a.string().required(), description: a.string(),
    externalId: a.string(), accountId: a.string().required(),
    sections: a.hasMany('ScorecardSection', 'scorecardId'),
    datasets: a.hasMany('Dataset', 'scorecardId'),
  }).secondaryIndexes(idx => [idx('key'), idx('externalId'), idx('accountId')]),
  ScorecardSection: a.model({
    name: a.string().required(), order: a.integer().required(), scorecardId: a.string().required(),
    scorecard: a.belongsTo('Scorecard', 'scorecardId'),
    scores: a.hasMany('Score', 'sectionId'),
  }).secondaryIndexes(idx => [idx('scorecardId')]),
  Score: a.model({
    name: a.string().required(), key: a.string(), description: a.string(), order: a.integer().required(),
    type: a.string().required(), externalId: a.string(), sectionId: a.string().required(),
    section: a.belongsTo('ScorecardSection', 'sectionId'),
    datasets: a.hasMany('Dataset', 'scoreId'),
    metadata: a.json(),
  }).secondaryIndexes(idx => [idx('sectionId'), idx('key'), idx('externalId')]),
  Dataset: a.model({
    name: a.string().required(), description: a.string(), scorecardId: a.string().required(),
    scorecard: a.belongsTo('Scorecard', 'scorecardId'), scoreId: a.string(),
    score: a.belongsTo('Score', 'scoreId'), currentVersionId: a.string(),
    currentVersion: a.belongsTo('DatasetVersion', 'currentVersionId'),
    versions: a.hasMany('DatasetVersion', 'datasetId'),
    profiles: a.hasMany('DatasetProfile', 'datasetId'),
    createdAt: a.datetime().required(), updatedAt: a.datetime().required(),
  }).secondaryIndexes(idx => [idx('scorecardId'), idx('scoreId')]),
  DatasetVersion: a.model({
    datasetId: a.string().required(), dataset: a.belongsTo('Dataset', 'datasetId'),
    versionNumber: a.integer().required(), configuration: a.json().required(),
    createdAt: a.datetime().required(),
    profiles: a.hasMany('DatasetProfile', 'datasetVersionId'),
    datasetsAsCurrentVersion: a.hasMany('Dataset', 'currentVersionId'),
  }).secondaryIndexes(idx => [idx('datasetId')]),
  DatasetProfile: a.model({
    datasetId: a.string().required(), dataset: a.belongsTo('Dataset', 'datasetId'),
    datasetVersionId: a.string().required(), datasetVersion: a.belongsTo('DatasetVersion', 'datasetVersionId'),
    columnList: a.string().array().required(), recordCounts: a.json().required(),
    answerDistribution: a.json().required(), createdAt: a.datetime().required(),
  }).secondaryIndexes(idx => [idx('datasetId'), idx('datasetVersionId')]),
}).authorization(allow => [allow.publicApiKey()]);
