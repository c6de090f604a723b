// Model introspection for Amplify's data client, generated from the data schema in schema.mjs
// (what `ampx generate outputs` puts in amplify_outputs.json for a Gen2 app).
import gen from '@aws-amplify/graphql-generator';
import directives from '@aws-amplify/graphql-directives';
import { writeFileSync } from 'node:fs';
import { schema } from './schema.mjs';

const out = await gen.generateModels({
  schema: schema.transform().schema,
  target: 'introspection',
  directives: directives.DefaultDirectives.map(d => d.definition).join('\n'),
  transformerVersion: 2,
  respectPrimaryKeyAttributesOnConnectionField: true,
  improvePluralization: false,
  addTimestampFields: true,
  generateIndexRules: true,
  handleListNullabilityTransparently: true
});
writeFileSync(process.argv[2] ?? 'model-introspection.json', Object.values(out)[0]);
